"""The virtual-time loop of a bot process in the arena: it runs only up to the coordinator's horizon.

A bot process may fire its timers only strictly before its *limit*: the horizon the coordinator
granted (no message for this bot can arrive before it) or the arrival time of one of its own requests,
whichever is earlier (the reply and the stream frames of that instant come from the coordinator).
When the loop has nothing runnable before the limit, it calls ``gate(next_due_ns)``: the process
reports to the coordinator and blocks until the next grant, which delivers replies and frames (as
timers) and moves the limit. Callbacks always run: they happen at the current instant.
"""

from __future__ import annotations

from typing import Any, Callable

from cmi_sim.sandbox.vloop import VirtualLoop

__all__ = ["ArenaLoop", "NEVER"]

NEVER = 1 << 62  #: a limit or due time that never comes


class ArenaLoop(VirtualLoop):
    """A :class:`VirtualLoop` whose clock never passes ``limit_ns`` without a ``gate`` call."""

    def __init__(self, flags: Any = None, default: bool | None = None) -> None:
        super().__init__(flags, default)
        self.limit_ns = 0  #: loop-relative ns; timers due at or after it wait for the coordinator
        self.gate: Callable[[int | None], None] | None = None
        self.n_gate_ticks = 0  # moves while the process waits for the coordinator (the watchdog sees progress)

    @property
    def progress(self) -> int:
        return self.n_callbacks + self.n_timer_fires + self.n_gate_ticks

    def fast_forward(self, due_ns: int) -> bool:
        if due_ns >= self.limit_ns:
            return False  # the coordinator must be heard before the clock gets there
        return super().fast_forward(due_ns)

    def run(self, nowait: bool = False, once: bool = False) -> None:
        if self.gate is None or nowait:
            super().run(nowait=nowait, once=once)
            return
        self._break = False
        while not self._break and not self._destroyed:
            if not self._run_ready():
                break
            if self._callbacks:  # idle watchers queued more
                continue
            due = self.next_live_due()
            if due is None or due >= self.limit_ns:
                self.gate(due)  # blocks on the coordinator; schedules deliveries, moves the limit
                continue
            timer = self._pop_timer()
            if timer is None:
                continue
            self._fire(timer)
            if once:
                self._drain_callbacks()
                return
