"""The SSE `order` frames, re-rendered only on the side of the book a change touched, are byte for byte
what a plain `json.dumps` of the contract's dict gives, for every subscriber after every change."""

from __future__ import annotations

import json
import random

import pytest

from cmi_sim.api import wire
from cmi_sim.api.streams import StreamHub, Subscription
from cmi_sim.engine import BUY, SELL, OrderAccepted, OrderCancelled, OrderReduced
from cmi_sim.exchange import Exchange, ExchangeRules, TradingHours
from cmi_sim.products import Product

PRODUCTS = (Product("TIDE_SPOT", tick_size=1), Product("WX_SPOT", tick_size=5), Product("LHR_COUNT", tick_size=1))
TRADERS = ("mm", "alice", "bob")  # everyone who places orders
WATCHER = "carol"  # subscribes, never trades
BOOK_CHANGES = (OrderAccepted, OrderCancelled, OrderReduced)


def contract_frame(exchange: Exchange, user: str, product: str) -> bytes:
    """The `order` event as `GET /api/market/stream` specifies it, from the user's open orders."""
    tick = exchange.products[product].tick_size
    own: dict[tuple[int, int], int] = {}
    for order in exchange.engine.orders_of(user, product):
        own[order.side, order.price] = own.get((order.side, order.price), 0) + order.remaining
    depth = exchange.depth(product)

    def side(levels, side_code: int) -> dict:
        return {str(float(lv.price * tick)): {"marketVolume": float(lv.volume),
                                              "userVolume": float(own.get((side_code, lv.price), 0))}
                for lv in levels}

    data = {"productsymbol": product, "tickSize": tick, "buyOrders": side(depth.bids, BUY),
            "sellOrders": side(depth.asks, SELL)}
    return b"event: order\ndata: " + json.dumps(data, separators=(",", ":")).encode() + b"\n\n"


def order_frames(chunk: bytes) -> list[bytes]:
    frames = [frame + b"\n\n" for frame in chunk.split(b"\n\n") if frame]
    return [frame for frame in frames if frame.startswith(b"event: order\n")]


def random_command(exchange: Exchange, rng: random.Random, ts: int) -> list:
    """One place, cancel or reduce by a random trader; prices cluster so orders often cross."""
    owner = rng.choice(TRADERS)
    product = rng.choice(PRODUCTS).symbol
    resting = exchange.engine.orders_of(owner, product)
    roll = rng.random()
    if resting and roll < 0.3:
        return exchange.cancel(ts, owner, rng.choice(resting).order_id).events
    if resting and roll < 0.4:
        order = rng.choice(resting)
        return exchange.reduce_order(ts, owner, order.order_id, rng.randint(1, order.remaining))
    side = rng.choice((BUY, SELL))
    price = rng.randint(95, 105) - side * rng.randint(0, 3)
    return exchange.place(ts, owner, product, side, price, rng.randint(1, 30)).events


@pytest.mark.parametrize("level_cache", ["normal", "cleared often"])
@pytest.mark.parametrize("self_trade", ["allow", "prevent"])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_every_frame_equals_the_contract_json(seed: int, self_trade: str, level_cache: str, monkeypatch) -> None:
    if level_cache == "cleared often":
        monkeypatch.setattr(wire, "_LEVEL_TEXTS_MAX", 3)
    rng = random.Random(seed)
    exchange = Exchange(PRODUCTS, ExchangeRules(position_limit=10_000, self_trade=self_trade), TradingHours(0, 10**9))
    hub = StreamHub(exchange)
    for ts in range(1, 40):  # a book to start from, so the snapshots are not empty
        random_command(exchange, rng, ts)
    subscriptions: list[Subscription] = []

    def subscribe(user: str) -> None:
        subscription = hub.open(user)
        expected = [contract_frame(exchange, user, p.symbol) for p in PRODUCTS]
        assert order_frames(subscription.take()) == expected, f"snapshot for {user}"
        subscriptions.append(subscription)

    # alice twice (two connections), carol (no orders), bob later; mm is not watching.
    for user in ("alice", "alice", WATCHER):
        subscribe(user)
    frames_checked = 0
    for ts in range(40, 1_500):
        if ts == 200:
            subscribe("bob")
        if ts == 600:  # everyone leaves; the book moves on unwatched; then people come back
            for subscription in subscriptions:
                hub.close(subscription)
            subscriptions.clear()
        if ts == 700:
            subscribe("alice")
            subscribe(WATCHER)
        events = random_command(exchange, rng, ts)
        changed = list(dict.fromkeys(e.product for e in events if type(e) in BOOK_CHANGES))
        for subscription in subscriptions:
            expected = [contract_frame(exchange, subscription.user, product) for product in changed]
            assert order_frames(subscription.take()) == expected, f"seed {seed}, command at {ts}"
            frames_checked += len(expected)
    exchange.settle(1_500, {p.symbol: 100.0 for p in PRODUCTS})  # cancels every order: empty books
    for subscription in subscriptions:
        frames = order_frames(subscription.take())
        assert set(frames) == {contract_frame(exchange, subscription.user, p.symbol) for p in PRODUCTS}
    exchange.engine._check()
    assert frames_checked > 3_000


def test_a_shared_level_shows_each_viewer_its_own_volume() -> None:
    exchange = Exchange(PRODUCTS, ExchangeRules(), TradingHours(0, 10**9))
    hub = StreamHub(exchange)
    watcher, alice = hub.open(WATCHER), hub.open("alice")
    exchange.place(1, "alice", "WX_SPOT", BUY, 20, 3)
    exchange.place(2, "mm", "WX_SPOT", BUY, 20, 4)
    assert watcher.take().endswith(b'"buyOrders":{"100.0":{"marketVolume":7.0,"userVolume":0.0}},'
                                   b'"sellOrders":{}}\n\n')
    assert alice.take().endswith(b'"buyOrders":{"100.0":{"marketVolume":7.0,"userVolume":3.0}},'
                                 b'"sellOrders":{}}\n\n')
