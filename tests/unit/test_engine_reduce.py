"""Reducing a resting order in place: the engine command, the exchange command, and the SSE stream."""

from __future__ import annotations

import pytest

from cmi_sim.api.streams import StreamHub
from cmi_sim.engine import (
    BAD_VOLUME,
    BUY,
    SELL,
    UNKNOWN_ORDER,
    CancelRejected,
    Fill,
    MatchingEngine,
    OrderReduced,
)
from cmi_sim.exchange import Exchange, ExchangeRules, TradingHours
from cmi_sim.products import cmi_products

P = "TIDE_SPOT"

pytestmark = pytest.mark.usefixtures("each_engine")  # every test runs on the Python and the compiled engine


def engine() -> MatchingEngine:
    return MatchingEngine([P, "WX_SPOT"])


def test_reduce_cuts_open_volume_and_reports_it():
    e = engine()
    order = e.submit(1, "a", P, BUY, 100, 10)[0]
    events = e.reduce(2, order.order_id, 4)
    assert len(events) == 1 and type(events[0]) is OrderReduced
    reduced = events[0]
    assert reduced[1:] == (2, order.order_id, "a", P, BUY, 100, 6, 4)
    assert reduced.seq > order.seq
    assert e.order(order.order_id).remaining == 4 and e.order(order.order_id).volume == 10
    assert e.depth(P).bids[0].volume == 4
    e._check()


def test_reduce_keeps_time_priority():
    e = engine()
    first = e.submit(1, "a", P, SELL, 100, 10)[0]
    second = e.submit(1, "b", P, SELL, 100, 5)[0]
    e.reduce(2, first.order_id, 3)
    fills = [ev for ev in e.submit(3, "c", P, BUY, 100, 4) if type(ev) is Fill]
    assert [(f.maker_order_id, f.volume) for f in fills] == [(first.order_id, 3), (second.order_id, 1)]
    e._check()


def test_reduce_touches_nothing_else():
    e = engine()
    kept = e.submit(1, "a", P, BUY, 100, 7)[0]
    target = e.submit(1, "a", P, BUY, 100, 9)[0]
    other = e.submit(1, "b", P, BUY, 99, 2)[0]
    e.reduce(2, target.order_id, 1)
    assert [(o.order_id, o.remaining) for o in e.orders_of("a")] == [(kept.order_id, 7), (target.order_id, 1)]
    assert e.order(other.order_id).remaining == 2
    assert [(lv.price, lv.volume) for lv in e.depth(P).bids] == [(100, 8), (99, 2)]
    assert e.best_prices(P) == (100, None)
    e._check()


@pytest.mark.parametrize("new_remaining", [0, -1, 5, 6, 2.5, True])
def test_a_reduce_that_is_not_a_reduction_is_rejected_and_changes_nothing(new_remaining):
    e = engine()
    order = e.submit(1, "a", P, BUY, 100, 5)[0]
    events = e.reduce(2, order.order_id, new_remaining)
    assert len(events) == 1 and type(events[0]) is CancelRejected
    assert events[0].reason == BAD_VOLUME and events[0].order_id == order.order_id
    assert e.order(order.order_id).remaining == 5 and e.depth(P).bids[0].volume == 5
    e._check()


def test_reduce_of_an_unknown_or_foreign_order_is_rejected():
    e = engine()
    order = e.submit(1, "a", P, BUY, 100, 5)[0]
    assert e.reduce(2, 999, 1)[0].reason == UNKNOWN_ORDER
    foreign = e.reduce(2, order.order_id, 1, owner="b")[0]
    assert type(foreign) is CancelRejected and foreign.reason == UNKNOWN_ORDER
    assert e.order(order.order_id).remaining == 5
    assert e.reduce(2, order.order_id, 1, owner="a")[0].remaining == 1
    e.cancel(3, order.order_id)
    assert e.reduce(4, order.order_id, 1)[0].reason == UNKNOWN_ORDER  # gone: nothing to reduce
    e._check()


def test_a_reduced_order_then_filled_or_cancelled_leaves_clean_books():
    e = engine()
    a = e.submit(1, "a", P, SELL, 101, 8)[0]
    b = e.submit(1, "a", P, SELL, 101, 8)[0]
    e.reduce(2, a.order_id, 2)
    e.reduce(2, b.order_id, 3)
    e.submit(3, "c", P, BUY, 101, 2)  # exactly the reduced first order
    assert e.order(a.order_id) is None and e.order(b.order_id).remaining == 3
    cancelled = e.cancel(4, b.order_id)[0]
    assert cancelled.volume == 3
    assert e.depth(P).asks == [] and e.resting_order_ids() == []
    e._check()


# -- the exchange ------------------------------------------------------------------------------------


def exchange() -> Exchange:
    return Exchange(cmi_products(), ExchangeRules(), TradingHours(0, 1_000))


def test_exchange_reduce_order_logs_and_notifies():
    x = exchange()
    seen: list = []
    order = x.place(1, "a", P, BUY, 100, 10).accepted
    x.subscribe(lambda events, trades: seen.append((events, trades)))
    events = x.reduce_order(2, "a", order.order_id, 6)
    assert type(events[0]) is OrderReduced and events[0].remaining == 6
    assert x.log[-1] == events[0] and seen == [(events, [])]
    assert x.order("a", order.order_id).remaining == 6
    assert x.positions("a") == {} and len(x.tape) == 0  # no trade, no position
    x.engine._check()


def test_exchange_reduce_order_refuses_other_owners_orders():
    x = exchange()
    order = x.place(1, "a", P, BUY, 100, 10).accepted
    events = x.reduce_order(2, "b", order.order_id, 1)
    assert type(events[0]) is CancelRejected and events[0].reason == UNKNOWN_ORDER
    assert x.order("a", order.order_id).remaining == 10


def test_exchange_reduce_order_is_allowed_outside_trading_hours_like_a_cancel():
    x = exchange()
    order = x.place(1, "a", P, BUY, 100, 10).accepted
    assert type(x.reduce_order(5_000, "a", order.order_id, 3)[0]) is OrderReduced


def test_a_reduce_sends_a_book_event_on_the_stream():
    x = exchange()
    hub = StreamHub(x)
    order = x.place(1, "a", P, BUY, 100, 10).accepted
    subscription = hub.open("a")
    subscription.take()  # the snapshot
    x.reduce_order(2, "a", order.order_id, 4)
    frame = subscription.take()
    assert frame and P.encode() in frame
    x.reduce_order(3, "a", order.order_id, 9)  # rejected: the book did not change, so no event
    assert subscription.take() == b""
