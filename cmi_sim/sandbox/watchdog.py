"""A wall-clock watchdog on a real OS thread: reports, rather than hangs on, a stuck bot.

It reads the loop's progress counters (``n_callbacks + n_timer_fires``) every ``poll_s`` real
seconds. If they have not moved for ``timeout_s`` real seconds, something runs without ever
yielding (``while True: pass``) or blocks where the simulator has no control (a real C call); it
then formats the stack of whatever the main OS thread is executing (the stuck greenlet) and the
stacks of the other live greenlets, and calls ``on_trip(report)``. It never touches simulation
state, so it cannot change results.
"""

from __future__ import annotations

import gc
import sys
import traceback
from types import FrameType
from typing import Any, Callable

from cmi_sim.sandbox.clocks import REAL
from cmi_sim.sandbox.vloop import VirtualLoop

__all__ = ["Watchdog", "SLOW_WINDOW_S"]

#: Default real seconds over which the run's speed is compared with real time.
SLOW_WINDOW_S = 10.0


class Watchdog:
    def __init__(
        self,
        loop: VirtualLoop,
        timeout_s: float,
        on_trip: Callable[[dict[str, Any]], None],
        *,
        main_thread_ident: int,
        poll_s: float | None = None,
        wall_limit_s: float | None = None,
        on_wall_limit: Callable[[], None] | None = None,
        on_slow: Callable[[float, float], None] | None = None,
        slow_window_s: float = 10.0,
    ) -> None:
        self.loop = loop
        self.timeout_s = timeout_s
        self.poll_s = poll_s if poll_s is not None else min(0.25, timeout_s / 4)
        self.on_trip = on_trip
        self.main_thread_ident = main_thread_ident
        self._stopped = False
        self.wall_limit_s = wall_limit_s
        self.on_wall_limit = on_wall_limit
        self.on_slow = on_slow
        self.slow_window_s = slow_window_s

    def start(self) -> None:
        # A real OS thread: gevent's patched threading would make it a greenlet on the stuck loop.
        from gevent import monkey

        start_new_thread = monkey.get_original("_thread", "start_new_thread")
        start_new_thread(self._watch, ())

    def stop(self) -> None:
        self._stopped = True

    def _watch(self) -> None:
        last = self.loop.progress
        since = started = window_start = REAL.monotonic()
        window_ns = self.loop.now_ns
        warned = False
        while not self._stopped:
            REAL.sleep(self.poll_s)
            now = REAL.monotonic()
            if self.wall_limit_s is not None and self.on_wall_limit is not None and now - started >= self.wall_limit_s:
                self._stopped = True
                self.on_wall_limit()
                return
            if now - window_start >= self.slow_window_s:
                virtual_s = (self.loop.now_ns - window_ns) / 1e9
                if virtual_s < now - window_start and not warned and self.on_slow is not None:
                    warned = True  # once per run: the notice says how to read it
                    self.on_slow(virtual_s, now - window_start)
                window_start, window_ns = now, self.loop.now_ns
            progress = self.loop.progress
            if progress != last:
                last, since = progress, now
                continue
            if now - since >= self.timeout_s:
                self._stopped = True
                self.on_trip(self.report(now - since))
                return

    def report(self, stalled_s: float) -> dict[str, Any]:
        frame = sys._current_frames().get(self.main_thread_ident)
        return {
            "stalled_real_s": round(stalled_s, 3),
            "virtual_now_ns": self.loop.now_ns,
            "message": (
                f"no scheduler progress for {stalled_s:.1f} real seconds: a thread of the bot runs "
                "without ever blocking or reading a clock, or blocks outside the simulator"
            ),
            "stuck_stack": _format_stack(frame),
            "where": _innermost(frame),
            "other_greenlets": _other_greenlet_stacks(frame),
        }


def _format_stack(frame: FrameType | None) -> str:
    if frame is None:
        return ""
    return "".join(traceback.format_stack(frame))


def _innermost(frame: FrameType | None) -> str:
    if frame is None:
        return ""
    return f"{frame.f_code.co_filename}:{frame.f_lineno} in {frame.f_code.co_name}"


def _other_greenlet_stacks(running: FrameType | None) -> list[str]:
    try:
        from greenlet import greenlet
    except ImportError:  # pragma: no cover - gevent always brings greenlet
        return []
    stacks = []
    for obj in gc.get_objects():
        if isinstance(obj, greenlet) and obj.gr_frame is not None and obj.gr_frame is not running:
            stacks.append(f"{obj!r}\n{_format_stack(obj.gr_frame)}")
    return stacks[:50]
