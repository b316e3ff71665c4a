"""The stream hub under stalled readers and self-trades: backlogs bounded in bytes, dropped subscribers
freed and forgotten, shared frames rendered once, both sides of a self-trade on the stream."""

from __future__ import annotations

import json

from cmi_sim.api import streams
from cmi_sim.api.streams import StreamHub
from cmi_sim.exchange import Exchange, ExchangeRules, TradingHours
from cmi_sim.products import Product

P = "P"


def _hub() -> tuple[Exchange, StreamHub]:
    exchange = Exchange([Product(P, 1, 1000, 1)], ExchangeRules(position_limit=10_000), TradingHours(0, 10**12))
    return exchange, StreamHub(exchange)


def test_a_reader_that_falls_a_backlog_behind_is_dropped_freed_and_no_longer_rendered_for(monkeypatch):
    monkeypatch.setattr(streams, "MAX_BACKLOG_BYTES", 4096)
    exchange, hub = _hub()
    stalled, reading = hub.open("stalled"), hub.open("reading")
    for i in range(200):
        exchange.place(i + 1, "maker", P, 1, 100 + i, 1)
        reading.take()
        assert stalled.backlog_bytes <= 4096
    assert stalled.closed and stalled.dropped
    assert not stalled.frames and stalled.backlog_bytes == 0
    assert hub.count() == 1 and not reading.closed
    woken = []
    stalled.waker = lambda: woken.append(1)
    exchange.place(500, "maker", P, 1, 50, 1)
    assert not stalled.frames and not woken  # nothing is rendered or queued for it any more


def test_subscribers_without_orders_share_one_rendered_frame():
    exchange, hub = _hub()
    a, b, owner = hub.open("a"), hub.open("b"), hub.open("maker")
    for sub in (a, b, owner):
        sub.take()
    exchange.place(1, "maker", P, 1, 100, 3)
    assert a.frames[0] is b.frames[0]  # the same bytes object, rendered once
    assert owner.frames[0] != a.frames[0]  # the owner sees its own volume


def test_a_self_trade_shows_both_sides_on_the_stream():
    exchange, hub = _hub()
    sub = hub.open("alice")
    exchange.place(1, "alice", P, -1, 100, 2)
    sub.take()
    exchange.place(2, "alice", P, 1, 100, 2)
    frames = [f for f in sub.take().split(b"\n\n") if f.startswith(b"event: trade")]
    assert len(frames) == 1
    fills = json.loads(frames[0].split(b"data: ", 1)[1])
    assert sorted((f["buyer"], f["seller"]) for f in fills) == [("", "alice"), ("alice", "")]
    assert all(f["volume"] == 2 for f in fills)
