"""The command that starts the child: cmi-sim's own interpreter, or the bot's (``--python PATH``).

With another interpreter (a virtualenv's ``bin/python``, or the virtualenv folder), the child starts
through :mod:`cmi_sim.sandbox.boot`, which appends cmi-sim's package root and the site-packages of
its dependencies after the interpreter's own (see there). The runtime's compiled dependencies
(gevent, greenlet, time-machine, numpy, pandas, pyarrow) must load under that interpreter: with the
same Python minor version cmi-sim's own copies do; with another, install cmi-sim into the bot's
environment (``pip install cmi-sim``). :func:`check_interpreter` tries this before a run and
explains a failure in one line.
"""

from __future__ import annotations

import functools
import os
import site
import subprocess
import sys
from pathlib import Path

__all__ = ["InterpreterError", "check_interpreter", "child_command", "resolve_python"]

BOOT = Path(__file__).resolve().with_name("boot.py")
PACKAGE_ROOT = Path(__file__).resolve().parents[2]


class InterpreterError(ValueError):
    """``--python`` names something that cannot run the backtest child."""


def resolve_python(python: str) -> str:
    """A virtualenv folder or an interpreter path -> the interpreter's path."""
    path = Path(python).expanduser()
    if path.is_dir():
        path = path / "bin" / "python"
    if not (path.is_file() and os.access(path, os.X_OK)):
        raise InterpreterError(f"--python {python}: no Python interpreter there")
    return str(path.absolute())


def runtime_paths() -> list[str]:
    """cmi-sim's package root, then every site-packages folder of this interpreter."""
    paths = [str(PACKAGE_ROOT)]
    for folder in [*site.getsitepackages(), site.getusersitepackages()]:
        if os.path.isdir(folder) and folder not in paths:
            paths.append(folder)
    return paths


def boot_env(env: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ if env is None else env)
    env["CMI_SIM_PATHS"] = os.pathsep.join(runtime_paths())
    return env


@functools.lru_cache(maxsize=16)
def check_interpreter(python: str, modules: tuple[str, ...] = ()) -> str:
    """Run ``boot.py --probe`` under ``python`` (importing ``modules`` too); its one-line description,
    or InterpreterError."""
    done = subprocess.run([python, str(BOOT), "--probe", *modules], env=boot_env(), capture_output=True,
                          text=True, timeout=120)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["(no output)"])[-1]
        raise InterpreterError(
            f"--python {python}: cmi-sim's runtime does not load there ({last}); install cmi-sim into that "
            f"environment (pip install cmi-sim) or use a Python {sys.version_info.major}."
            f"{sys.version_info.minor} environment"
        )
    return done.stdout.strip()


def child_command(python: str | None, config_path: Path, modules: tuple[str, ...] = ()) -> tuple[list[str], bool]:
    """(argv of the child process, whether it runs under cmi-sim's own interpreter); another interpreter
    is probed first, with ``modules`` (the environment factory's) imported there too."""
    if python is None or (os.path.realpath(python) == os.path.realpath(sys.executable)
                          and Path(python).parent == Path(sys.executable).parent):
        return [sys.executable, "-m", "cmi_sim.sandbox.child", str(config_path)], True
    python = resolve_python(python)
    check_interpreter(python, modules)
    return [python, str(BOOT), str(config_path)], False
