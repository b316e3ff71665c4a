"""Parent side: run a backtest in a child process with a clean environment and a real-time limit.

Monkey-patching is global and cannot be undone, the hash seed must be fixed before the interpreter
starts, and a bot can crash or call ``os._exit``: hence one child process per run.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

from cmi_sim.sandbox.config import RunConfig

__all__ = ["child_env", "run_in_child"]

_DROPPED_ENV = ("http_proxy", "https_proxy", "all_proxy", "no_proxy", "PYTHONSTARTUP", "PYTHONBREAKPOINT")


def child_env(extra_pythonpath: list[str] | None = None, *, with_package_root: bool = True) -> dict[str, str]:
    """The environment of the child: this one, minus proxies, plus fixed hash seed and timezone.
    cmi-sim's package root goes first on PYTHONPATH unless ``with_package_root`` is False (another
    interpreter, where boot.py appends it after that interpreter's own packages)."""
    env = {k: v for k, v in os.environ.items() if k.lower() not in _DROPPED_ENV and not k.lower().endswith("_proxy")}
    env.update(PYTHONHASHSEED="0", TZ="UTC", LANG="C.UTF-8", PYTHONUNBUFFERED="1")
    package_root = str(Path(__file__).resolve().parents[2])
    paths = [package_root] if with_package_root else []
    paths += extra_pythonpath or []
    if env.get("PYTHONPATH"):
        paths.append(env["PYTHONPATH"])
    if paths:
        env["PYTHONPATH"] = os.pathsep.join(paths)
    else:
        env.pop("PYTHONPATH", None)
    return env


def run_in_child(
    config: RunConfig,
    *,
    wall_limit_s: float = 600.0,
    workdir: str | Path | None = None,
    python: str | None = None,
    on_poll: Callable[[], None] | None = None,
    poll_s: float = 0.25,
    output_cap_bytes: int = 16 << 20,
    on_notice: Callable[[str], None] | None = None,
    env: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Run one backtest; return the child's result dict plus ``child_exit_code``, ``stdout_path``,
    ``stderr_path`` and ``wall_s``. At ``wall_limit_s`` real seconds the child writes a partial
    result (status ``"wall_limit"``); if it cannot, it is killed a little later. A child that died
    without a result gives ``"child_died"``. ``on_poll`` is called every ``poll_s`` real seconds
    while the child runs (a progress display). ``python`` runs the child under another interpreter
    (see :mod:`cmi_sim.sandbox.interpreter`). Bot output is capped at ``output_cap_bytes`` per
    stream (head and tail kept); the runtime's ``[cmi-sim]`` notices go to ``on_notice``
    (default: this process's stderr). ``env`` adds variables to the child's environment (the bot's
    own settings).

    The child cannot outlive this process: it asks the kernel to kill it when its parent dies, and
    any exception here (Ctrl-C included) kills it before propagating.
    """
    from cmi_sim.sandbox.interpreter import boot_env, child_command
    from cmi_sim.sandbox.output_cap import CappedOutput, tail_lines

    workdir = Path(workdir) if workdir is not None else Path(tempfile.mkdtemp(prefix="cmi-backtest-"))
    workdir.mkdir(parents=True, exist_ok=True)
    config = dataclasses.replace(config, wall_limit_s=wall_limit_s)
    config_path = workdir / "config.json"
    config.dump(config_path)
    result_path = Path(config.result_path)
    if result_path.exists():
        result_path.unlink()
    stdout_path, stderr_path = workdir / "bot.stdout", workdir / "bot.stderr"
    command, own_interpreter = child_command(python, config_path, (config.environment.partition(":")[0],))
    extra_env = env or {}
    env = child_env(with_package_root=own_interpreter)
    if not own_interpreter:  # another interpreter: cmi-sim's paths go after its own (boot.py)
        env = boot_env(env)
    env = env | extra_env
    env["CMI_SIM_PARENT_PID"] = str(os.getpid())
    notice = on_notice or (lambda line: print(line, file=sys.stderr, flush=True))
    started = time.monotonic()
    with open(stdout_path, "wb") as out, open(stderr_path, "wb") as err:
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        try:
            proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=out_w, stderr=err_w, env=env,
                                    start_new_session=True)  # Ctrl-C in a terminal reaches only us
        finally:
            os.close(out_w)
            os.close(err_w)
        sinks = [CappedOutput(out_r, out, output_cap_bytes), CappedOutput(err_r, err, output_cap_bytes, notice)]
        hard_deadline = started + wall_limit_s + _GRACE_AFTER_WALL_LIMIT_S
        status_override = None
        try:
            while True:
                try:
                    code = proc.wait(timeout=max(0.0, min(poll_s, hard_deadline - time.monotonic())))
                    break
                except subprocess.TimeoutExpired:
                    if time.monotonic() >= hard_deadline:
                        proc.kill()
                        code = proc.wait()
                        status_override = "wall_limit"
                        break
                    if on_poll is not None:
                        on_poll()
        except BaseException:
            proc.kill()
            proc.wait()
            raise
        finally:
            for sink in sinks:
                sink.finish()
    wall_s = time.monotonic() - started
    result: dict[str, Any]
    if status_override is None and result_path.exists():
        result = json.loads(result_path.read_text())
    else:
        result = {"status": status_override or "child_died"}
    result.update(
        child_exit_code=code, stdout_path=str(stdout_path), stderr_path=str(stderr_path), wall_s_parent=round(wall_s, 3)
    )
    result["output"] = {"stdout_bytes": sinks[0].total, "stderr_bytes": sinks[1].total,
                        "dropped_bytes": sinks[0].dropped + sinks[1].dropped, "cap_bytes": output_cap_bytes}
    if result.get("status") != "ok":
        result["last_lines"] = {"stdout": tail_lines(str(stdout_path)), "stderr": tail_lines(str(stderr_path))}
    return result


_GRACE_AFTER_WALL_LIMIT_S = 15.0  # for the child to write its partial result before it is killed
