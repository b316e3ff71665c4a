"""A gevent event loop that runs in virtual time and does no real I/O.

Install it with ``gevent.config.loop = VirtualLoop`` before anything creates the hub. The loop keeps
an integer-nanosecond clock (``now_ns``, relative to the start of the run). ``run()`` drains the
callback queue (FIFO, including callbacks added while draining); when it is empty it pops the
earliest timer from a heap ordered by ``(due_ns, priority, seq)``, jumps the clock to ``due_ns`` and
fires it. When no callback and no ref'd timer is left, ``run()`` returns and gevent's hub raises
``LoopExit`` in the waiting greenlet: every green thread is blocked with nothing scheduled.

This implements the part of ``gevent._interfaces.ILoop`` that the hub, locks, Event, Queue,
Timeout, sleep and the threading patches use (pinned gevent==26.9.0; see the conformance tests).
Real I/O watchers raise :class:`NoRealIO`; signal/child/stat/fork watchers never fire.
"""

from __future__ import annotations

import heapq
from heapq import heappop, heappush
import sys
import traceback
from collections import deque
from typing import Any, Callable

__all__ = ["NoRealIO", "VirtualLoop", "PRIORITY_DEFAULT", "PRIORITY_WORLD", "seconds_to_ns"]

#: Priority of ordinary timers (gevent passes ``None``, which means this).
PRIORITY_DEFAULT = 0
#: Priority for the simulated world (market ticks, exchange timers): at an equal virtual instant
#: they fire before every bot timer, so "market data at T is published before bot wake-ups at T".
PRIORITY_WORLD = -100

_NS = 1_000_000_000


class NoRealIO(RuntimeError):
    """Raised when code under the virtual loop tries to wait on a real file descriptor."""


def seconds_to_ns(seconds: float) -> int:
    """A delay in seconds as whole nanoseconds; negative delays count as zero."""
    return max(0, round(seconds * _NS))


class _Callback:
    """What ``run_callback`` returns; same contract as ``gevent._ffi.callback.callback``."""

    __slots__ = ("callback", "args")

    def __init__(self, callback: Callable[..., Any], args: tuple[Any, ...]) -> None:
        self.callback: Callable[..., Any] | None = callback
        self.args: tuple[Any, ...] | None = args

    def stop(self) -> None:
        self.callback = None
        self.args = None

    close = stop

    def __bool__(self) -> bool:  # true while pending or running (gevent relies on it)
        return self.args is not None

    @property
    def pending(self) -> bool:
        return self.callback is not None


class _Watcher:
    """Base of all watchers: start/stop, ref, context manager closes it."""

    def __init__(self, loop: VirtualLoop, ref: bool = True, priority: int | None = None) -> None:
        self.loop = loop
        self._ref = bool(ref)
        self.priority = PRIORITY_DEFAULT if priority is None else priority
        self.callback: Callable[..., Any] | None = None
        self.args: tuple[Any, ...] = ()
        self.active = False
        self.pending = False
        self.closed = False

    def start(self, callback: Callable[..., Any], *args: Any, **_kw: Any) -> None:
        if callback is None:
            raise TypeError("callback must be callable, not None")
        self.callback, self.args = callback, args
        self.active = True

    def stop(self) -> None:
        self.active = False
        self.callback, self.args = None, ()

    def close(self) -> None:
        self.stop()
        self.closed = True

    @property
    def ref(self) -> bool:
        return self._ref

    @ref.setter
    def ref(self, value: bool) -> None:
        self._ref = bool(value)

    def feed(self, _revents: int, callback: Callable[..., Any], *args: Any) -> None:
        self.loop.run_callback(callback, *args)

    def __enter__(self) -> _Watcher:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


class _Timer(_Watcher):
    """A one-shot or repeating timer; lazily deleted from the heap (a token invalidates entries).

    The hot path of every sleep, timeout and request latency: ``__init__``, ``start`` and ``stop``
    are written out flat (same effects as the generic watcher methods plus ``loop._arm``).
    """

    def __init__(
        self, loop: VirtualLoop, after: float, repeat: float, ref: bool, priority: int | None
    ) -> None:
        self.loop = loop
        self._ref = bool(ref)
        self.priority = PRIORITY_DEFAULT if priority is None else priority
        self.callback = None
        self.args = ()
        self.active = False
        self.pending = False
        self.closed = False
        self.after_ns = seconds_to_ns(after) if after else 0
        self.repeat_ns = seconds_to_ns(repeat) if repeat else 0
        self.due_ns = 0
        self._token = 0

    @property
    def at(self) -> float:
        return self.due_ns / _NS

    def start(self, callback: Callable[..., Any], *args: Any, update: bool | None = None, **_kw: Any) -> None:
        # ``update`` is meaningless here: virtual time does not move while callbacks run.
        if self.active:
            self.stop()
        if callback is None:
            raise TypeError("callback must be callable, not None")
        self.callback, self.args = callback, args
        self.active = True
        loop = self.loop
        loop._seq += 1
        self._token += 1
        self.due_ns = due_ns = loop.now_ns + self.after_ns
        heappush(loop._heap, (due_ns, self.priority, loop._seq, self._token, self))
        if self._ref:
            loop._n_ref_timers += 1

    def again(self, callback: Callable[..., Any], *args: Any, update: bool = True) -> None:
        self.after_ns = self.repeat_ns or self.after_ns
        self.start(callback, *args)

    def stop(self) -> None:
        if self.active:
            self._token += 1  # the heap entry is now stale and will be skipped (loop._disarm)
            if self._ref:
                self.loop._n_ref_timers -= 1
            self.active = False
        self.callback, self.args = None, ()

    def close(self) -> None:
        self.stop()
        self.closed = True

    def __exit__(self, *_exc: object) -> None:
        self.stop()
        self.closed = True

    @_Watcher.ref.setter  # type: ignore[attr-defined]
    def ref(self, value: bool) -> None:
        value = bool(value)
        if self.active and value != self._ref:
            self.loop._n_ref_timers += 1 if value else -1
        self._ref = value


class _Idle(_Watcher):
    """Fires when no callback is queued, before the clock moves (``gevent.idle``)."""

    def start(self, callback: Callable[..., Any], *args: Any, **_kw: Any) -> None:
        super().start(callback, *args)
        if self not in self.loop._idles:
            self.loop._idles.append(self)

    def stop(self) -> None:
        super().stop()
        if self in self.loop._idles:
            self.loop._idles.remove(self)


class _Async(_Watcher):
    """``send()`` queues the callback; thread-safe because deque.append is atomic under the GIL."""

    def send(self) -> None:
        if self.active and self.callback is not None:
            self.loop.run_callback(self.callback, *self.args)

    send_ignoring_arg = send


class _Never(_Watcher):
    """Signal, child, stat, fork, prepare and check watchers: accepted, never fired."""

    def __init__(self, loop: VirtualLoop, ref: bool = True, priority: int | None = None, **kw: Any) -> None:
        super().__init__(loop, ref, priority)
        for name, value in kw.items():
            setattr(self, name, value)


class _IO(_Watcher):
    def __init__(self, loop: VirtualLoop, fd: Any, events: int, ref: bool, priority: int | None) -> None:
        super().__init__(loop, ref, priority)
        self.fd = fd
        self.events = events

    def start(self, callback: Callable[..., Any], *args: Any, **kw: Any) -> None:
        if self.fd not in self.loop.quiet_fds:
            raise NoRealIO(
                f"real I/O on fd {self.fd!r} is not possible in a backtest: use an HTTP client (answered "
                "in-process) instead of sockets or select"
            )
        super().start(callback, *args, **kw)


class VirtualLoop:
    """gevent loop with a virtual integer-nanosecond clock. Single-threaded by design."""

    MINPRI = -128
    MAXPRI = 127
    approx_timer_resolution = 1e-9
    backend = "virtual"
    backend_int = 0
    starting_timer_may_update_loop_time = False

    def __init__(self, flags: Any = None, default: bool | None = None) -> None:
        self.now_ns = 0
        self.default = True if default is None else bool(default)
        self.error_handler: Any = None
        self.quiet_fds: set[int] = set()  # fds whose waits never end (see io())
        self.n_callbacks = 0  # callbacks run: progress counter for the watchdog/busy-wait guard
        self.n_timer_fires = 0
        self.n_iterations = 0
        self._callbacks: deque[_Callback] = deque()
        self._heap: list[tuple[int, int, int, int, _Timer]] = []
        self._seq = 0
        self._n_ref_timers = 0
        self._idles: list[_Idle] = []
        self._break = False
        self._destroyed = False

    # -- clock -------------------------------------------------------------------------------
    def now(self) -> float:
        return self.now_ns / _NS

    def update_now(self) -> None:
        """No-op: virtual time moves only when the loop jumps to a timer."""

    def set_now_ns(self, now_ns: int) -> None:
        """Move the clock forwards (set-up only; time never goes backwards)."""
        if now_ns < self.now_ns:
            raise ValueError("virtual time cannot go backwards")
        self.now_ns = now_ns

    @property
    def progress(self) -> int:
        return self.n_callbacks + self.n_timer_fires

    # -- timer heap --------------------------------------------------------------------------
    def _arm(self, timer: _Timer, due_ns: int) -> None:
        self._seq += 1
        timer._token += 1
        timer.due_ns = due_ns
        heapq.heappush(self._heap, (due_ns, timer.priority, self._seq, timer._token, timer))
        if timer._ref:
            self._n_ref_timers += 1

    def _disarm(self, timer: _Timer) -> None:
        timer._token += 1  # the heap entry is now stale and will be skipped
        if timer._ref:
            self._n_ref_timers -= 1

    def next_live_due(self) -> int | None:
        """Due time of the earliest live timer (ref'd or not); stale heap entries are dropped on the way
        (`_pop_timer` would skip them anyway)."""
        heap = self._heap
        while heap:
            entry = heap[0]
            timer = entry[4]
            if entry[3] == timer._token and timer.active:
                return entry[0]
            heappop(heap)
        return None

    def _pop_timer(self) -> _Timer | None:
        heap = self._heap
        while heap:
            entry = heappop(heap)
            timer = entry[4]
            if entry[3] == timer._token and timer.active:
                return timer
        return None

    def fast_forward(self, due_ns: int) -> bool:
        """Jump the clock to ``due_ns`` if the loop would run nothing before a timer due then: no
        callbacks or idle watchers pending and no live timer due at or before ``due_ns``. A greenlet
        about to sleep until ``due_ns`` then skips the switch to the hub and back: the same events
        happen in the same order at the same virtual times, only sooner in wall time."""
        if self._callbacks or self._idles or due_ns < self.now_ns:
            return False
        first = self.next_live_due()
        if first is not None and first <= due_ns:
            return False
        self.now_ns = due_ns
        self.n_timer_fires += 1  # progress, as the timer it replaces would have counted
        return True

    # -- running -----------------------------------------------------------------------------
    def _run_ready(self) -> bool:
        """One pass over what can run now: the callbacks (those queued meanwhile included), then the idle
        watchers. False once the loop is to stop (``break_`` or ``destroy``). Every run loop (this one,
        the arena's gated one, the paced one of `cmi-sim run`) takes its turns through here."""
        self.n_iterations += 1
        self._drain_callbacks()
        if self._break or self._destroyed:
            return False
        if self._idles:
            for idle in list(self._idles):
                if idle.active and idle.callback is not None:
                    self._invoke(idle, idle.callback, idle.args)
        return True

    def run(self, nowait: bool = False, once: bool = False) -> None:
        """Run until nothing can happen any more (or ``break_``; one pass with ``once``/``nowait``).

        ``nowait`` never moves the clock: it only runs what is due now.
        """
        self._break = False
        while not self._break and not self._destroyed:
            if not self._run_ready():
                break
            if self._callbacks:  # idle watchers queued more
                continue
            if self._n_ref_timers <= 0 and not self._callbacks and not self._has_ref_idle():
                return  # nothing ref'd can ever happen: gevent raises LoopExit
            timer = self._pop_timer()
            if timer is None:
                return
            if nowait and timer.due_ns > self.now_ns:
                self._push_back(timer)
                return
            self._fire(timer)
            if once or nowait:
                self._drain_callbacks()
                return

    def _has_ref_idle(self) -> bool:
        return any(idle.active and idle._ref for idle in self._idles)

    def _push_back(self, timer: _Timer) -> None:
        # Re-insert with its original due time; a fresh seq is fine since nothing else is at it yet.
        ref = timer._ref
        if ref:
            self._n_ref_timers -= 1
        self._arm(timer, timer.due_ns)

    def _drain_callbacks(self) -> None:
        callbacks = self._callbacks
        while callbacks and not self._break:
            cb = callbacks.popleft()
            func, args = cb.callback, cb.args
            cb.callback = None
            if func is None or args is None:
                continue  # stopped before it ran
            self.n_callbacks += 1
            try:
                func(*args)
            except:  # noqa: E722 - same contract as gevent's loops: report, keep running
                self._report(cb)
            finally:
                cb.args = None

    def _fire(self, timer: _Timer) -> None:
        if timer.due_ns > self.now_ns:
            self.now_ns = timer.due_ns
        self.n_timer_fires += 1
        func, args = timer.callback, timer.args
        if timer.repeat_ns:
            self._seq += 1
            timer._token += 1
            timer.due_ns = self.now_ns + timer.repeat_ns
            heappush(self._heap, (timer.due_ns, timer.priority, self._seq, timer._token, timer))
        else:
            timer.active = False
            if timer._ref:
                self._n_ref_timers -= 1
        if func is not None:
            try:
                func(*args)
            except:  # noqa: E722 - same contract as gevent's loops: report, keep running
                self._report(timer)

    def _invoke(self, context: Any, func: Callable[..., Any], args: tuple[Any, ...]) -> None:
        try:
            func(*args)
        except:  # noqa: E722
            self._report(context)

    def _report(self, context: Any) -> None:
        try:
            self.handle_error(context, *sys.exc_info())
        except:  # noqa: E722
            try:
                print("Exception while handling another error", file=sys.stderr)
                traceback.print_exc()
            except:  # noqa: E722
                pass

    def handle_error(self, context: Any, type_: Any, value: Any, tb: Any) -> None:
        handler = self.error_handler
        if handler is not None:
            getattr(handler, "handle_error", handler)(context, type_, value, tb)
        else:
            traceback.print_exception(type_, value, tb)

    def break_(self, how: Any = None) -> None:
        self._break = True

    # -- callbacks ---------------------------------------------------------------------------
    def run_callback(self, func: Callable[..., Any], *args: Any) -> _Callback:
        cb = _Callback(func, args)
        self._callbacks.append(cb)
        return cb

    run_callback_threadsafe = run_callback

    # -- watchers ----------------------------------------------------------------------------
    def timer(self, after: float, repeat: float = 0.0, ref: bool = True, priority: int | None = None) -> _Timer:
        return _Timer(self, after, repeat, ref, priority)

    def timer_ns(self, after_ns: int, *, ref: bool = True, priority: int | None = None) -> _Timer:
        """A one-shot timer with an exact integer delay (the world schedules absolute times)."""
        timer = _Timer(self, 0, 0, ref, priority)
        timer.after_ns = max(0, int(after_ns))
        return timer

    def io(self, fd: Any, events: int, ref: bool = True, priority: int | None = None) -> Any:
        """A watcher that refuses to start on a real fd (``NoRealIO``); creating one is allowed,
        because gevent sockets create theirs up front. Quiet fds (a bot's listening sockets,
        which nothing ever connects to) may be waited on: they never become ready."""
        return _IO(self, fd, events, ref, priority)

    def closing_fd(self, fd: Any) -> bool:
        return False

    def idle(self, ref: bool = True, priority: int | None = None) -> _Idle:
        return _Idle(self, ref, priority)

    def async_(self, ref: bool = True, priority: int | None = None) -> _Async:
        return _Async(self, ref, priority)

    def prepare(self, ref: bool = True, priority: int | None = None) -> _Never:
        return _Never(self, ref, priority)

    def check(self, ref: bool = True, priority: int | None = None) -> _Never:
        return _Never(self, ref, priority)

    def fork(self, ref: bool = True, priority: int | None = None) -> _Never:
        return _Never(self, ref, priority)

    def signal(self, signum: int, ref: bool = True, priority: int | None = None) -> _Never:
        return _Never(self, ref, priority, signum=signum)

    def child(self, pid: int, trace: int = 0, ref: bool = True) -> _Never:
        return _Never(self, ref, None, pid=pid, rpid=0, rstatus=0)

    def stat(self, path: str, interval: float = 0.0, ref: bool = True, priority: int | None = None) -> _Never:
        return _Never(self, ref, priority, path=path, interval=interval, attr=None, prev=None)

    def install_sigchld(self) -> None:
        """No child processes run in a backtest."""

    def reset_sigchld(self) -> None:
        """No child processes run in a backtest."""

    # -- lifecycle and diagnostics ------------------------------------------------------------
    def reinit(self) -> None:
        """Nothing to re-initialise after a fork (none happen)."""

    def destroy(self) -> None:
        self._destroyed = True
        self._callbacks.clear()
        self._heap.clear()
        self._idles.clear()
        self._n_ref_timers = 0

    @property
    def ptr(self) -> int:
        return 0 if self._destroyed else id(self)

    @property
    def pendingcnt(self) -> int:
        return len(self._callbacks)

    @property
    def activecnt(self) -> int:
        return self._n_ref_timers

    def fileno(self) -> None:
        return None

    def debug(self) -> list[str]:
        return [self._format()]

    def _format(self) -> str:
        return (
            f"backend=virtual now_ns={self.now_ns} callbacks={len(self._callbacks)} "
            f"ref_timers={self._n_ref_timers} fired={self.n_timer_fires} ran={self.n_callbacks}"
        )

    def __repr__(self) -> str:
        return f"<VirtualLoop {self._format()}>"
