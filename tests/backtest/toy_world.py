"""A toy in-memory "exchange" for the backtest runtime tests (the real one plugs in later).

Routes (host ``exchange.test`` only; any other host is refused):
- ``GET /api/product``: a fixed product list;
- ``ANY /api/echo``: echoes method, path, query, selected headers and body as JSON;
- ``GET /api/market/stream``: SSE; a market greenlet publishes ``event: order`` with the tick
  number every ``tick_s`` virtual seconds (environment_args), with ``id:`` lines if ``sse_ids``;
  ``close_after`` closes each stream after that many events (to exercise reconnects);
- ``GET /api/fail``: 503.
"""

from __future__ import annotations

import json
from collections import deque
from typing import Any, Mapping
from urllib.parse import parse_qs, urlsplit

from cmi_sim.sandbox.environment import ConnectionRefused, Reply, StreamReply, Environment

HOST = "exchange.test"
PRODUCTS = [
    {"symbol": "TIDE", "tickSize": 1, "startingPrice": 100, "contractSize": 1},
    {"symbol": "WX", "tickSize": 1, "startingPrice": 50, "contractSize": 1},
]
JSON = {"Content-Type": "application/json; charset=utf-8"}


class Subscription:
    """Server side of one SSE stream: a deque of chunks and a cooperative waker."""

    def __init__(self, ctx: Any, world: ToyWorld, close_after: int | None) -> None:
        self._ctx = ctx
        self._world = world
        self._chunks: deque[bytes] = deque()
        self._event = ctx.event()
        self._left = close_after
        self.closed = False

    def push(self, chunk: bytes) -> None:
        if self.closed:
            return
        self._chunks.append(chunk)
        self._event.set()
        if self._left is not None:
            self._left -= 1
            if self._left <= 0:
                self.end()

    def end(self) -> None:
        self.closed = True
        self._event.set()

    def read(self, timeout_s: float | None) -> bytes | None:
        while True:
            if self._chunks:
                data = b"".join(self._chunks)
                self._chunks.clear()
                return data
            if self.closed:
                return b""
            self._event.clear()
            if not self._event.wait(timeout_s):
                return None

    def close(self) -> None:
        self.closed = True
        self._world.drop(self)


class ToyWorld:
    def __init__(self, ctx: Any) -> None:
        self.ctx = ctx
        args = ctx.config
        self.tick_s = float(args.get("tick_s", 1.0))
        self.sse_ids = bool(args.get("sse_ids", False))
        self.close_after = args.get("close_after")
        self.subs: list[Subscription] = []
        self.n_published = 0
        self.n_subscribed = 0
        self.n_dropped = 0
        self.last_event_ids: list[str | None] = []

    def drop(self, sub: Subscription) -> None:
        if sub in self.subs:
            self.subs.remove(sub)
            self.n_dropped += 1

    def market(self) -> None:
        tick = 0
        while True:
            tick += 1
            self.ctx.sleep_until(self.ctx.start_ns + round(tick * self.tick_s * 1e9))
            data = json.dumps({"productsymbol": "TIDE", "tick": tick, "t_ns": self.ctx.now_ns()})
            event = f"event: order\ndata: {data}\n\n"
            if self.sse_ids:
                event = f"id: {tick}\n" + event
            for sub in list(self.subs):
                sub.push(event.encode())
            self.n_published += 1

    def route(self, method: str, url: str, headers: Mapping[str, str], body: bytes | None) -> Reply | StreamReply:
        parts = urlsplit(url)
        if parts.hostname != HOST:
            raise ConnectionRefused(url)
        path = "/" + "/".join(p for p in parts.path.split("/") if p)
        if path == "/api/product" and method == "GET":
            return Reply(200, json.dumps(PRODUCTS).encode(), dict(JSON))
        if path == "/api/echo":
            echo = {
                "method": method,
                "path": path,
                "query": parse_qs(parts.query),
                "auth": headers.get("authorization"),
                "body": None if body is None else body.decode(),
                "t_ns": self.ctx.now_ns(),
            }
            return Reply(200, json.dumps(echo).encode(), dict(JSON))
        if path == "/api/fail":
            return Reply(503, b'{"error": "unavailable"}', dict(JSON))
        if path == "/api/market/stream" and method == "GET":
            sub = Subscription(self.ctx, self, self.close_after)
            self.subs.append(sub)
            self.n_subscribed += 1
            self.last_event_ids.append(headers.get("last-event-id"))
            return StreamReply(200, {"Content-Type": "text/event-stream; charset=utf-8"}, sub)
        return Reply(404, b'{"error": "not found"}', dict(JSON))

    def on_end(self) -> None:
        for sub in list(self.subs):
            sub.end()

    def result(self) -> dict[str, Any]:
        return {
            "published": self.n_published,
            "subscribed": self.n_subscribed,
            "dropped": self.n_dropped,
            "open_streams": len(self.subs),
            "last_event_ids": self.last_event_ids[-5:],
        }


def make_environment(ctx: Any) -> Environment:
    world = ToyWorld(ctx)
    return Environment(world.route, [world.market], on_end=world.on_end, result=world.result)
