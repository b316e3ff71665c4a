"""Process hygiene of `cmi-sim backtest`: however the parent dies, the child does not outlive it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

SLOW_BOT = "import time\nwhile True:\n    time.sleep(0.001)\n"


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(p) for p in (task / "children").read_text().split()]
        except OSError:
            pass
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM, signal.SIGINT], ids=["kill", "term", "int"])
def test_killing_only_the_parent_never_leaves_the_child_running(tmp_path: Path, clean_env, sig) -> None:
    bot = tmp_path / "slow.py"
    bot.write_text(SLOW_BOT)
    parent = subprocess.Popen([sys.executable, "-m", "cmi_sim", "backtest", str(bot), "--until", "20h",
                               "--out", str(tmp_path / "run"), "--no-progress"], env=clean_env, cwd=tmp_path,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        children: list[int] = []
        while not children and time.monotonic() < deadline:
            time.sleep(0.2)
            children = [c for c in _children(parent.pid) if _alive(c)]
        assert children, "the backtest child never started"
        os.kill(parent.pid, sig)  # only the parent: not its process group
        parent.wait(timeout=30)
        deadline = time.monotonic() + 10
        while any(_alive(c) for c in children) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(_alive(c) for c in children)
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()
