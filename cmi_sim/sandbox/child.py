"""Entry point of the backtest child process: ``python -m cmi_sim.sandbox.child CONFIG.json``.

Spawn it through :func:`cmi_sim.sandbox.parent.run_in_child`, which sets ``PYTHONHASHSEED=0``,
``TZ=UTC`` and removes proxy variables. The child writes the result JSON named in the config and
leaves with ``os._exit`` (0: ran to the end or the bot stopped, 1: the bot raised, 2: runtime
error, 3: watchdog).
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from pathlib import Path
from typing import NoReturn


def main(argv: list[str]) -> None:
    if len(argv) != 2:
        sys.stderr.write("usage: python -m cmi_sim.sandbox.child CONFIG.json\n")
        os._exit(2)
    _die_with_parent()
    # Nothing may create the gevent hub before the runtime sets the loop: import only config here.
    from cmi_sim.sandbox.config import RunConfig

    config = RunConfig.load(argv[1])
    from cmi_sim.sandbox.netns import isolate

    network = isolate(config.isolate_network)  # before any of the bot's code
    try:
        from cmi_sim.sandbox.log_times import time_bot_output
        from cmi_sim.sandbox.runtime import VirtualRuntime

        runtime = VirtualRuntime(config)
        runtime.network = network
        runtime.setup()
        time_bot_output(runtime.clock.now_ns, Path(config.result_path).parent)  # bot.log-times
        runtime.build_environment()
        runtime.run()
    except BaseException:  # noqa: BLE001 - report set-up failures in the result file
        exit_with_runtime_error(config.result_path)


def exit_with_runtime_error(result_path: str) -> NoReturn:
    """Write the traceback being handled to stderr and as the result (status runtime_error), and
    leave at once with exit code 2 (also for the arena's bot processes)."""
    text = traceback.format_exc()
    sys.stderr.write(text)
    Path(result_path).write_text(json.dumps({"status": "runtime_error", "exit_code": 2, "traceback": text}, indent=1))
    sys.stderr.flush()
    sys.stdout.flush()
    os._exit(2)


def _die_with_parent() -> None:
    """Ask Linux to SIGKILL this process when the parent dies (even by SIGKILL), so a killed
    ``cmi-sim`` never leaves a child spinning; if the parent is already gone, leave now."""
    parent = os.environ.get("CMI_SIM_PARENT_PID")
    if not parent or not sys.platform.startswith("linux"):
        return
    try:
        import ctypes
        import signal

        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        return
    if os.getppid() != int(parent):
        os._exit(2)


if __name__ == "__main__":
    main(sys.argv)
