"""Parent side: run a backtest in a child process with a clean environment and a real-time limit.

Monkey-patching is global and cannot be undone, the hash seed must be fixed before the interpreter
starts, and a bot can crash or call ``os._exit``: hence one child process per run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

from cmi_sim.backtest.config import RunConfig

__all__ = ["child_env", "run_in_child"]

_DROPPED_ENV = ("http_proxy", "https_proxy", "all_proxy", "no_proxy", "PYTHONSTARTUP", "PYTHONBREAKPOINT")


def child_env(extra_pythonpath: list[str] | None = None) -> dict[str, str]:
    """The environment of the child: this one, minus proxies, plus fixed hash seed and timezone."""
    env = {k: v for k, v in os.environ.items() if k.lower() not in _DROPPED_ENV and not k.lower().endswith("_proxy")}
    env.update(PYTHONHASHSEED="0", TZ="UTC", LANG="C.UTF-8", PYTHONUNBUFFERED="1")
    package_root = str(Path(__file__).resolve().parents[2])
    paths = [package_root, *(extra_pythonpath or [])]
    if env.get("PYTHONPATH"):
        paths.append(env["PYTHONPATH"])
    env["PYTHONPATH"] = os.pathsep.join(paths)
    return env


def run_in_child(
    config: RunConfig,
    *,
    wall_limit_s: float = 600.0,
    workdir: str | Path | None = None,
    python: str = sys.executable,
    on_poll: Callable[[], None] | None = None,
    poll_s: float = 0.25,
    env: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Run one backtest; return the child's result dict plus ``child_exit_code``, ``stdout_path``,
    ``stderr_path`` and ``wall_s``. Past ``wall_limit_s`` real seconds the child is killed and the
    status is ``"wall_limit"``; a child that died without a result gives ``"child_died"``.
    ``on_poll`` is called every ``poll_s`` real seconds while the child runs (a progress display).
    ``env`` adds variables to the child's environment (the bot's own settings).
    """
    workdir = Path(workdir) if workdir is not None else Path(tempfile.mkdtemp(prefix="cmi-backtest-"))
    workdir.mkdir(parents=True, exist_ok=True)
    config_path = workdir / "config.json"
    config.dump(config_path)
    result_path = Path(config.result_path)
    if result_path.exists():
        result_path.unlink()
    stdout_path, stderr_path = workdir / "bot.stdout", workdir / "bot.stderr"
    started = time.monotonic()
    with open(stdout_path, "wb") as out, open(stderr_path, "wb") as err:
        proc = subprocess.Popen(
            [python, "-m", "cmi_sim.backtest.child", str(config_path)],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            env=child_env() | (env or {}),
        )
        deadline = started + wall_limit_s
        status_override = None
        while True:
            try:
                code = proc.wait(timeout=max(0.0, min(poll_s, deadline - time.monotonic())))
                break
            except subprocess.TimeoutExpired:
                if time.monotonic() >= deadline:
                    proc.kill()
                    code = proc.wait()
                    status_override = "wall_limit"
                    break
                if on_poll is not None:
                    on_poll()
    wall_s = time.monotonic() - started
    result: dict[str, Any]
    if status_override is None and result_path.exists():
        result = json.loads(result_path.read_text())
    else:
        result = {"status": status_override or "child_died"}
    result.update(
        child_exit_code=code, stdout_path=str(stdout_path), stderr_path=str(stderr_path), wall_s_parent=round(wall_s, 3)
    )
    return result
