"""asyncio in virtual time: an event loop whose clock is the virtual one and whose waits are gevent's.

gevent's ``patch_all`` turns ``selectors`` into gevent selectors, whose file-descriptor watchers the
:class:`~cmi_sim.sandbox.vloop.VirtualLoop` refuses (``NoRealIO``); ``asyncio.new_event_loop()``
also wants a real ``socketpair``. :class:`VirtualEventLoop` is an ``asyncio.BaseEventLoop`` without
either: its selector holds no file descriptors and waits on a gevent ``Event`` with a virtual timeout,
which ``call_soon_threadsafe`` (another green thread, an executor's worker) sets. So an asyncio loop
is a green thread like any other: in the main thread (``asyncio.run``) or in a bot's daemon thread
(``loop.run_forever()``), with ``asyncio.sleep``, ``wait_for``, ``timeout``, ``gather`` and tasks all
timed by the virtual clock. The loop's clock is virtual ``time.monotonic()``, read without counting
as a bot clock read (the busy-wait guard).

Several loops may run at once in different green threads of one OS thread, but asyncio keeps "the
running loop" per OS thread (in C). On the first loop created, a greenlet switch tracer starts to
swap it: each green thread sees its own running loop. Nothing of this runs for bots without asyncio.

Sockets stay refused: ``create_connection``/``getaddrinfo`` fail with the network guard's error;
the HTTP clients (aiohttp, httpx) are answered by :mod:`cmi_sim.sandbox.clients`. Not supported:
``add_reader``/``add_writer`` (real fds), subprocesses, uvloop. ``add_signal_handler`` records the
handler and never calls it (the end of a session is a ``KeyboardInterrupt``, as elsewhere).
"""

from __future__ import annotations

import asyncio
import asyncio.events
import math
from typing import Any, Callable

import gevent
import gevent.event
import gevent.local
import greenlet

from cmi_sim.sandbox.clocks import MONOTONIC_BASE_NS
from cmi_sim.sandbox.vloop import VirtualLoop

__all__ = ["VirtualEventLoop", "VirtualEventLoopPolicy", "install_asyncio"]

_YIELD_EVERY = 1000  # ready-only iterations before the loop lets other green threads run


class _VirtualSelector:
    """What ``BaseEventLoop._run_once`` asks of a selector, without file descriptors."""

    def __init__(self) -> None:
        self._wake = gevent.event.Event()
        self._spins = 0

    def wake(self) -> None:
        self._wake.set()

    def select(self, timeout: float | None) -> list[Any]:
        if timeout is not None and timeout <= 0:
            self._wake.clear()
            self._spins += 1
            if self._spins >= _YIELD_EVERY:  # only ready callbacks for a long while: be fair
                self._spins = 0
                gevent.sleep(0)
            return []
        self._spins = 0
        if not self._wake.is_set():
            # ceil: wake at or after the due time, never a nanosecond before it
            self._wake.wait(None if timeout is None else math.ceil(timeout * 1e9) / 1e9)
        self._wake.clear()
        return []

    def close(self) -> None:
        self._wake.set()


class VirtualEventLoop(asyncio.BaseEventLoop):
    """An asyncio event loop on the virtual clock (see the module docstring)."""

    def __init__(self) -> None:
        super().__init__()
        hub = gevent.get_hub()
        if not isinstance(hub.loop, VirtualLoop):
            raise RuntimeError("VirtualEventLoop needs the backtest's virtual gevent loop")
        self._vloop: VirtualLoop = hub.loop
        self._selector = _VirtualSelector()
        self._clock_resolution = 1e-9
        self._signal_handlers: dict[int, Any] = {}
        _RunningLoops.install()

    def time(self) -> float:
        return (MONOTONIC_BASE_NS + self._vloop.now_ns) / 1e9

    def _write_to_self(self) -> None:
        selector = self._selector
        if selector is not None:
            selector.wake()

    def _process_events(self, event_list: list[Any]) -> None:
        pass

    def close(self) -> None:
        super().close()
        selector, self._selector = self._selector, None
        if selector is not None:
            selector.close()

    def add_signal_handler(self, sig: int, callback: Callable[..., Any], *args: Any) -> None:
        self._signal_handlers[sig] = (callback, args)

    def remove_signal_handler(self, sig: int) -> bool:
        return self._signal_handlers.pop(sig, None) is not None


class VirtualEventLoopPolicy(asyncio.DefaultEventLoopPolicy):  # type: ignore[misc,valid-type]
    """New loops are virtual; the "current loop" of each thread is per green thread."""

    class _Local(gevent.local.local):
        _loop = None
        _set_called = False

    _loop_factory = VirtualEventLoop


class _RunningLoops:
    """Keeps asyncio's per-OS-thread "running loop" per green thread, by swapping it on switches."""

    _installed = False
    _saved: dict[Any, Any] = {}

    @classmethod
    def install(cls) -> None:
        if cls._installed:
            return
        cls._installed = True
        get_running = asyncio.events._get_running_loop
        set_running = asyncio.events._set_running_loop
        saved = cls._saved
        previous = greenlet.gettrace()

        def trace(event: str, args: Any) -> None:
            if event in ("switch", "throw"):
                origin, target = args
                loop = get_running()
                if loop is not None:
                    saved[origin] = loop
                else:
                    saved.pop(origin, None)
                set_running(saved.pop(target, None) if not target.dead else None)
            if previous is not None:
                previous(event, args)

        greenlet.settrace(trace)


def install_asyncio() -> None:
    """Make every new asyncio loop a :class:`VirtualEventLoop` (policy and direct constructors)."""
    asyncio.set_event_loop_policy(VirtualEventLoopPolicy())
    asyncio.SelectorEventLoop = VirtualEventLoop  # type: ignore[misc]
    unix_events = getattr(asyncio, "unix_events", None)
    if unix_events is not None:
        unix_events.SelectorEventLoop = VirtualEventLoop  # type: ignore[misc]
