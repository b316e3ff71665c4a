"""The bot process's end of the arena: its world is a proxy of the coordinator's.

The runtime's transport runs with zero latency here; :meth:`RemoteEnvironment.route` applies the latency
itself so that the coordinator learns of a request half a latency before it must answer it (the
lookahead that lets the bots run in parallel):

1. at the send time ``s`` the request joins the outbox with its arrival time ``s + latency/2``, and
   the loop's limit drops to that arrival (the reply and that instant's frames come from the
   coordinator);
2. the requesting greenlet sleeps until the arrival (an ordinary timer, as in a backtest), takes
   the reply the coordinator delivered meanwhile, and sleeps the other half.

Stream frames arrive as world-priority timers at their virtual times, into a local queue per stream;
:class:`RemoteStream` reads it with the backtest's own reader (`VirtualStream`, as `SubscriptionStream` reads a subscription)
(keep-alive comment every 10 s of silence, read timeouts in virtual time).
"""

from __future__ import annotations

from collections import deque
from typing import Any

from cmi_sim.arena.protocol import REFUSED, STREAM, MessageReader, decode_grant, encode_report, request_item, \
    write_message
from cmi_sim.sandbox.clocks import REAL
from cmi_sim.sandbox.environment import ConnectionRefused, Reply, StreamReply, Environment
from cmi_sim.sandbox.virtual_stream import VirtualStream
from cmi_sim.sandbox.vloop import PRIORITY_DEFAULT, PRIORITY_WORLD

__all__ = ["BotChannel", "RemoteStream", "RemoteEnvironment", "make_environment"]

KEEPALIVE = b": ping\n\n"  # = cmi_sim.api.wire.KEEPALIVE (a test pins it), without loading the API here
MAX_BACKLOG = 20_000  # chunks a reader may leave unread before its stream is dropped (as the server does)


class CoordinatorGone(Exception):
    """The coordinator closed the channel: the run is over for this bot."""


class LocalQueue:
    """The frames of one stream that reached this process, and the waker of its reader."""

    __slots__ = ("chunks", "closed", "waker")

    def __init__(self) -> None:
        self.chunks: deque[bytes] = deque()
        self.closed = False
        self.waker: Any = None

    def push(self, chunk: bytes) -> None:
        if self.closed:
            return
        if not chunk or len(self.chunks) >= MAX_BACKLOG:
            self.closed = True
        else:
            self.chunks.append(chunk)
        if self.waker is not None:
            self.waker()


class BotChannel:
    """Reports to the coordinator and applies its grants (called by the loop's gate)."""

    def __init__(self, fd: int, runtime: Any) -> None:
        self.fd = fd
        self._reader = MessageReader(fd)
        self.runtime = runtime
        self.outbox: list[list] = []
        self.closed: list[int] = []
        self.replies: dict[int, tuple] = {}
        self.abandoned: set[int] = set()
        self.queues: dict[int, LocalQueue] = {}
        self.gone: set[int] = set()  # streams this process closed
        self.n_grants = 0
        self.wait_s = 0.0  # real seconds spent waiting for the coordinator
        self._seq = 0

    def next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def close_stream(self, stream_id: int) -> None:
        """The bot's client closed a stream: drop its frames and tell the coordinator in the next report."""
        self.queues.pop(stream_id, None)
        self.gone.add(stream_id)
        self.closed.append(stream_id)

    def queue(self, stream_id: int) -> LocalQueue:
        queue = self.queues.get(stream_id)
        if queue is None:
            queue = self.queues[stream_id] = LocalQueue()
        return queue

    def gate(self, next_due_rel: int | None) -> None:
        runtime = self.runtime
        loop = runtime.loop
        base = runtime.start_ns
        report = encode_report(base + loop.now_ns, None if next_due_rel is None else base + next_due_rel,
                               self.outbox, self.closed)
        self.outbox, self.closed = [], []
        write_message(self.fd, report)
        waited = REAL.perf_counter()
        payload = self._wait()
        self.wait_s += REAL.perf_counter() - waited
        if payload is None:
            raise CoordinatorGone()
        horizon, frames, replies = decode_grant(payload)
        self.n_grants += 1
        for seq, kind, status, headers, body in replies:
            if seq in self.abandoned:  # its requester was interrupted while waiting
                self.abandoned.discard(seq)
                if kind == STREAM:
                    self.close_stream(body)
                continue
            self.replies[seq] = (kind, status, headers, body)
        now = loop.now_ns
        for t_ns, stream_id, chunk in frames:
            timer = loop.timer_ns(t_ns - base - now, priority=PRIORITY_WORLD)
            timer.start(self._deliver, stream_id, chunk)
        loop.limit_ns = horizon - base

    def _deliver(self, stream_id: int, chunk: bytes) -> None:
        if stream_id in self.gone:
            return  # its client closed it; frames sent before the coordinator heard of that
        self.queue(stream_id).push(chunk)

    def _wait(self) -> bytes | None:
        return self._reader.read(self._tick)

    def _tick(self, in_message: bool) -> None:
        """The receive timeout passed while waiting for the coordinator: not stuck, waiting."""
        self.runtime.loop.n_gate_ticks += 1


class RemoteStream(VirtualStream):
    """The bot's side of one SSE response (a ``ByteStream``): the frames the coordinator sent."""

    def __init__(self, channel: BotChannel, stream_id: int, ctx: Any) -> None:
        super().__init__(ctx, KEEPALIVE)
        self._channel = channel
        self._id = stream_id
        self._queue = channel.queue(stream_id)
        self._closed = False
        self._queue.waker = self._event.set

    def _take(self) -> bytes:
        chunks = self._queue.chunks
        if not chunks:
            return b""
        chunk = chunks.popleft() if len(chunks) == 1 else b"".join(chunks)
        chunks.clear()
        return chunk

    def _source_closed(self) -> bool:
        return self._queue.closed

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._stop_alarm()
        self._queue.closed = True
        self._queue.waker = None
        self._channel.close_stream(self._id)


class RemoteEnvironment:
    """The router of a bot process: every request goes to the coordinator."""

    def __init__(self, ctx: Any) -> None:
        self.ctx = ctx
        runtime = ctx.runtime
        self.channel: BotChannel = runtime.channel
        self.loop = runtime.loop
        self.base = runtime.start_ns
        latency_ns = int(ctx.config["latency_ns"])
        self.half_ns = latency_ns // 2
        self.rest_ns = latency_ns - self.half_ns
        self.n_requests = 0

    def route(self, method: str, url: str, headers: Any, body: bytes | None) -> Reply | StreamReply:
        ctx, channel = self.ctx, self.channel
        self.n_requests += 1
        arrival = ctx.now_ns() + self.half_ns
        seq = channel.next_seq()
        channel.outbox.append(request_item(arrival, seq, method, url, headers, body))
        if arrival - self.base < self.loop.limit_ns:
            self.loop.limit_ns = arrival - self.base
        try:
            ctx.sleep_until(arrival, PRIORITY_DEFAULT)
        except BaseException:
            if seq in channel.replies:
                kind, _status, _headers, payload = channel.replies.pop(seq)
                if kind == STREAM:
                    channel.close_stream(payload)
            else:
                channel.abandoned.add(seq)
            raise
        kind, status, reply_headers, payload = channel.replies.pop(seq)
        if kind == REFUSED:
            raise ConnectionRefused(url)
        if self.rest_ns:
            ctx.sleep_until(ctx.now_ns() + self.rest_ns, PRIORITY_DEFAULT)
        if kind == STREAM:
            return StreamReply(status, reply_headers, RemoteStream(channel, payload, ctx))
        return Reply(status, payload, reply_headers)

    def result(self) -> dict[str, Any]:
        return {"requests_sent": self.n_requests, "grants": self.channel.n_grants,
                "wait_s": round(self.channel.wait_s, 3)}


def make_environment(ctx: Any) -> Environment:
    world = RemoteEnvironment(ctx)
    return Environment(router=world.route, background=[], on_end=None, result=world.result)
