"""An SSE response body read in virtual time: frames as they arrive, a keep-alive comment on an idle stream.

The backtest's `SubscriptionStream` (frames from the exchange's subscription) and the arena's
`RemoteStream` (frames the coordinator sent) differ only in where frames come from; this base reads
both the same way, so the two kinds of run see the same bytes at the same virtual moments.

A read waits on an event that the source sets when frames arrive. For the keep-alive and the read
timeout it keeps one alarm timer, moved only when it would ring too late: a busy stream (a frame per
book change) then waits without creating a timeout per read. No import of the API here: an arena bot
process must not load it.
"""

from __future__ import annotations

from typing import Any

KEEPALIVE_NS = 10_000_000_000  # as the live server: a comment every 10 s on an idle stream


class VirtualStream:
    """A `ByteStream` (see `cmi_sim.sandbox.environment`). Subclasses set `_take` (a callable giving the
    frames waiting, as bytes, or b"") and `_source_closed()`, and call `_watch(waker_setter)`."""

    def __init__(self, ctx: Any, keepalive: bytes) -> None:
        self._ctx = ctx
        self._keepalive = keepalive
        self._event = ctx.event()
        self._last_sent = ctx.now_ns()
        self._alarm: Any = None  # a virtual timer: active until it rings or is stopped, due at due_ns

    def _take(self) -> bytes:
        raise NotImplementedError

    def _source_closed(self) -> bool:
        raise NotImplementedError

    def read(self, timeout_s: float | None) -> bytes | None:
        """The next frames; b"" once the source closed; the keep-alive after 10 idle seconds; None at
        the read timeout."""
        take, event, now_ns = self._take, self._event, self._ctx.now_ns
        now = now_ns()
        deadline = None if timeout_s is None else now + round(timeout_s * 1e9)
        while True:
            chunk = take()
            if chunk:
                self._last_sent = now
                return chunk
            if self._source_closed():
                return b""
            ping_at = self._last_sent + KEEPALIVE_NS
            if now >= ping_at:
                self._last_sent = now
                return self._keepalive
            if deadline is not None and now >= deadline:
                return None
            self._ring_by(ping_at if deadline is None else min(ping_at, deadline))
            event.clear()
            event.wait()
            now = now_ns()

    def _ring_by(self, t_ns: int) -> None:
        """Make sure the alarm rings no later than `t_ns` (an earlier ring just makes read() look again)."""
        alarm = self._alarm
        if alarm is not None and alarm.active:
            if alarm.due_ns <= t_ns:
                return
            alarm.stop()
        self._alarm = self._ctx.call_at(t_ns, self._event.set)

    def _stop_alarm(self) -> None:
        if self._alarm is not None:
            self._alarm.stop()
