"""The engine against a slow, obviously correct reference matcher on seeded random command streams.

The reference keeps every resting order in one plain list. For each incoming order it repeatedly scans
the list for the opposite orders its limit reaches, takes the best-priced and then the oldest, and trades
at that order's price. Same stream, same fills, same cancels, same remaining book.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import pytest

from cmi_sim.engine import BUY, SELL, CancelRejected, Fill, MatchingEngine, OrderCancelled, OrderRejected

OWNERS = ("a", "b", "c", "d")
PRODUCTS = ("P", "Q", "R")


@dataclass
class RefOrder:
    order_id: int
    owner: str
    product: str
    side: int
    price: int
    remaining: int


class ReferenceMatcher:
    """Price-time priority by linear scan; no indexes, no heaps, nothing clever."""

    def __init__(self, prevent_self_trade: bool = False) -> None:
        self.resting: list[RefOrder] = []  # in arrival order, so list order is time priority
        self.next_id = 1
        self.prevent_self_trade = prevent_self_trade

    def submit(self, owner, product, side, price, volume) -> list[tuple]:
        if product not in PRODUCTS or side not in (BUY, SELL) or price <= 0 or volume <= 0:
            return [("rejected",)]
        order = RefOrder(self.next_id, owner, product, side, price, volume)
        self.next_id += 1
        out = []
        while order.remaining:
            reachable = [o for o in self.resting if o.product == product and o.side == -side
                         and (o.price <= price if side == BUY else o.price >= price)]
            if not reachable:
                break
            best_price = min(o.price for o in reachable) if side == BUY else max(o.price for o in reachable)
            maker = [o for o in reachable if o.price == best_price][0]  # oldest at the best price
            if self.prevent_self_trade and maker.owner == owner:
                self.resting.remove(maker)
                out.append(("self_trade_cancel", maker.order_id, maker.remaining))
                continue
            qty = min(order.remaining, maker.remaining)
            order.remaining -= qty
            maker.remaining -= qty
            out.append(("fill", maker.price, qty, order.order_id, owner, maker.order_id, maker.owner))
            if maker.remaining == 0:
                self.resting.remove(maker)
        if order.remaining:
            self.resting.append(order)
        return out

    def cancel(self, owner, order_id) -> list[tuple]:
        for order in self.resting:
            if order.order_id == order_id and order.owner == owner:
                self.resting.remove(order)
                return [("cancelled", order_id, order.remaining)]
        return [("cancel_rejected", order_id)]

    def cancel_at_price(self, owner, product, price) -> list[tuple]:
        targets = [o for o in self.resting if (o.owner, o.product, o.price) == (owner, product, price)]
        return [event for o in targets for event in self.cancel(owner, o.order_id)]

    def book(self) -> list[tuple]:
        return sorted((o.order_id, o.owner, o.product, o.side, o.price, o.remaining) for o in self.resting)


def engine_outcome(events) -> list[tuple]:
    """The engine's events in the reference's vocabulary (acceptances carry nothing to compare)."""
    out = []
    for e in events:
        kind = type(e)
        if kind is Fill:
            out.append(("fill", e.price, e.volume, e.taker_order_id, e.taker, e.maker_order_id, e.maker))
        elif kind is OrderCancelled:
            out.append(("self_trade_cancel" if e.reason == "self_trade" else "cancelled", e.order_id, e.volume))
        elif kind is CancelRejected:
            out.append(("cancel_rejected", e.order_id))
        elif kind is OrderRejected:
            out.append(("rejected",))
    return out


def engine_book(engine: MatchingEngine) -> list[tuple]:
    return [(v.order_id, v.owner, v.product, v.side, v.price, v.remaining)
            for v in map(engine.order, engine.resting_order_ids())]


def command_stream(seed: int, n: int) -> list[tuple]:
    """Adds around a drifting mid (many crossing), cancels of live, gone, foreign and unknown ids,
    cancel-at-price, and a few invalid orders. Owners trade with themselves often."""
    rng = random.Random(seed)
    mids = {p: 100 for p in PRODUCTS}
    issued = 0
    commands = []
    for _ in range(n):
        roll = rng.random()
        product = rng.choice(PRODUCTS)
        if roll < 0.55:
            mids[product] += rng.choice((-1, 0, 0, 1))
            side = rng.choice((BUY, SELL))
            price = mids[product] - side * rng.randint(-4, 6)
            volume = rng.randint(1, 12) if rng.random() < 0.97 else 0
            commands.append(("add", rng.choice(OWNERS), product, side, max(price, 1), volume))
            issued += 1
        elif roll < 0.92:
            commands.append(("cancel", rng.choice(OWNERS), rng.randint(1, issued + 3)))
        else:
            commands.append(("cancel_at_price", rng.choice(OWNERS), product, mids[product] + rng.randint(-6, 6)))
    return commands


def run_both(commands, prevent: bool):
    engine = MatchingEngine(PRODUCTS, self_trade="prevent" if prevent else "allow")  # see each_engine
    reference = ReferenceMatcher(prevent_self_trade=prevent)
    n_fills = n_self = 0
    for step, (kind, *args) in enumerate(commands):
        if kind == "add":
            got, want = engine_outcome(engine.submit(step, *args)), reference.submit(*args)
        elif kind == "cancel":
            owner, order_id = args
            got, want = engine_outcome(engine.cancel(step, order_id, owner)), reference.cancel(owner, order_id)
        else:
            got, want = engine_outcome(engine.cancel_at_price(step, *args)), reference.cancel_at_price(*args)
        assert got == want, f"step {step}: {kind} {args}"
        n_fills += sum(1 for event in got if event[0] == "fill")
        n_self += sum(1 for event in got if event[0] == "self_trade_cancel"
                      or event[0] == "fill" and event[4] == event[6])
    engine._check()
    assert engine_book(engine) == reference.book()
    return n_fills, n_self, len(reference.resting)


pytestmark = pytest.mark.usefixtures("each_engine")  # every test runs on the Python and the compiled engine


@pytest.mark.parametrize("seed", range(8))
def test_engine_matches_reference_on_seeded_stream(seed):
    n_fills, n_self_trades, n_resting = run_both(command_stream(seed, 1500), prevent=False)
    assert n_fills > 100 and n_self_trades > 10 and n_resting > 20  # the stream exercises every path


@pytest.mark.parametrize("seed", range(8))
def test_engine_matches_reference_with_self_trade_prevention(seed):
    n_fills, n_prevented, _ = run_both(command_stream(1000 + seed, 1500), prevent=True)
    assert n_fills > 100 and n_prevented > 10


def test_reference_matcher_on_a_hand_case():
    """The reference itself: best price first, then oldest, at the resting price."""
    ref = ReferenceMatcher()
    ref.submit("a", "P", SELL, 102, 1)
    ref.submit("b", "P", SELL, 101, 1)
    ref.submit("c", "P", SELL, 101, 1)
    assert ref.submit("d", "P", BUY, 102, 4) == [("fill", 101, 1, 4, "d", 2, "b"), ("fill", 101, 1, 4, "d", 3, "c"),
                                                  ("fill", 102, 1, 4, "d", 1, "a")]
    assert ref.book() == [(4, "d", "P", BUY, 102, 1)]
