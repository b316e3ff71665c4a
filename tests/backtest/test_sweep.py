"""References to clocks, sleep and urandom captured before set-up are swept to the virtual ones."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from cmi_sim.sandbox.parent import child_env

SCRIPT = Path(__file__).resolve().parent / "scripts" / "early_capture.py"


def test_captured_originals_are_swept() -> None:
    done = subprocess.run([sys.executable, str(SCRIPT)], env=child_env(), capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    out = dict(line.split(" ", 1) for line in done.stdout.splitlines())
    assert out["early_sleep_ns"] == "2000000000"
    assert out["early_monotonic"] == "1002.0"
    assert out["early_perf_counter"] == "1002.0"
    assert out["early_urandom_is_seeded"] == "True"
    assert out["queue_get_ns"] == "1500000000"  # queue.time swept: the timeout is virtual
    assert out["threading_time_virtual"] == "True"
    assert out["real_perf_counter_kept"] == "True"
    assert out["requests_clock_virtual"] == "True"  # Response.elapsed is virtual
    swept = out["swept"].split()
    for name in ("__main__.early_sleep", "__main__.early_monotonic", "__main__.early_perf_counter",
                 "__main__.early_urandom", "threading._time", "queue.time", "random._urandom"):
        assert name in swept, (name, swept)


def test_time_machine_is_imported_without_pytest_and_pytest_stays_importable() -> None:
    import subprocess
    import sys

    script = (
        "import sys\n"
        "from cmi_sim.sandbox.clocks import _import_time_machine\n"
        "_import_time_machine()\n"
        "assert 'time_machine' in sys.modules and 'pytest' not in sys.modules, sorted(sys.modules)\n"
        "import pytest\n"
        "print(pytest.__name__)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "pytest"
