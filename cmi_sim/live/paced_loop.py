"""The backtest's virtual loop, paced by a real clock: for `cmi-sim run`, where a bot's clocks follow a
live server's session clock.

`now_ns` (virtual ns since the run's start) is the session clock: `(monotonic - anchor) * speed`, never
going backwards. A timer fires when the session clock reaches its due time, so every sleep, timeout and
clock read of the bot runs in scaled real time, through exactly the sandbox of a backtest. Real I/O
(the requests forwarded to the server) runs on OS threads, which hand their results back with
`run_callback_threadsafe`; that wakes the loop at once. While such work is pending, the loop waits for
it instead of ending.
"""

from __future__ import annotations

import time
import types
from typing import Any, Callable

from cmi_sim.sandbox.vloop import VirtualLoop

# The real clock, captured before the sandbox replaces time.monotonic_ns; kept in a container because
# the sandbox sweeps module globals for captured clock functions.
_REAL = types.SimpleNamespace(monotonic_ns=time.monotonic_ns)
_MAX_WAIT_S = 0.25  # re-check the clock at least this often (and count it as progress)


class PacedLoop(VirtualLoop):
    """`configure` it before gevent creates the loop (the runtime does, from `RunConfig.loop_args`)."""

    speed: float = 1.0
    anchor_monotonic_ns: int | None = None

    @classmethod
    def configure(cls, speed: float, anchor_monotonic_ns: int) -> None:
        """`speed`: virtual (session) seconds per real second; `anchor_monotonic_ns`: the real
        `time.monotonic_ns()` at which the run's virtual time was 0 (the session time `RunConfig.start`)."""
        if not speed > 0:
            raise ValueError(f"speed must be positive, got {speed}")
        cls.speed, cls.anchor_monotonic_ns = float(speed), int(anchor_monotonic_ns)

    def __init__(self, flags: Any = None, default: bool | None = None) -> None:
        self._now = 0
        self._anchor = type(self).anchor_monotonic_ns if type(self).anchor_monotonic_ns is not None else _REAL.monotonic_ns()
        self._speed = type(self).speed
        from gevent import monkey

        self._wake = monkey.get_original("_thread", "allocate_lock")()  # a real lock: the loop truly waits
        self._wake.acquire()  # held: released by a thread-safe callback to wake a waiting loop
        self.pending_io = 0  # real operations in flight on OS threads
        self.n_waits = 0
        super().__init__(flags, default)

    # -- the clock: session time, read fresh -----------------------------------------------------
    @property
    def now_ns(self) -> int:  # type: ignore[override]
        real = int((_REAL.monotonic_ns() - self._anchor) * self._speed)
        if real > self._now:
            self._now = real
        return self._now

    @now_ns.setter
    def now_ns(self, value: int) -> None:
        if value > self._now:
            self._now = value

    @property
    def progress(self) -> int:  # the watchdog's counter: waiting for the clock is progress here
        return self.n_callbacks + self.n_timer_fires + self.n_waits

    def fast_forward(self, due_ns: int) -> bool:
        return False  # time is real: nothing jumps

    # -- waking from other threads ---------------------------------------------------------------
    def run_callback_threadsafe(self, func: Callable[..., Any], *args: Any) -> Any:
        callback = self.run_callback(func, *args)
        try:
            self._wake.release()
        except RuntimeError:
            pass  # already released: the loop will wake anyway
        return callback

    # -- running ----------------------------------------------------------------------------------
    def run(self, nowait: bool = False, once: bool = False) -> None:
        self._break = False
        while not self._break and not self._destroyed:
            if not self._run_ready():
                break
            if self._callbacks:  # idle watchers queued more
                continue
            if self._n_ref_timers <= 0 and not self._callbacks and not self._has_ref_idle() and self.pending_io <= 0:
                return  # nothing can ever happen: gevent raises LoopExit
            due = self.next_live_due()
            now = self.now_ns
            if due is None or due > now:
                if nowait:
                    return
                wait_s = _MAX_WAIT_S if due is None else min(_MAX_WAIT_S, (due - now) / self._speed / 1e9)
                self._wake.acquire(True, max(wait_s, 0.0))
                self.n_waits += 1
                continue
            timer = self._pop_timer()
            if timer is None:
                continue
            self._fire(timer)
            if once or nowait:
                self._drain_callbacks()
                return
