"""The matching engine on hand-built books: priority, execution price, partial fills, cancels, depth,
self-trade handling and rejections. Every test ends with the engine's own invariant check."""

from __future__ import annotations

import pytest

from cmi_sim.engine import (
    BAD_PRICE,
    BAD_SIDE,
    BAD_VOLUME,
    BUY,
    SELL,
    UNKNOWN_ORDER,
    UNKNOWN_PRODUCT,
    CancelRejected,
    DepthLevel,
    Fill,
    MatchingEngine,
    OrderAccepted,
    OrderCancelled,
    OrderRejected,
    SELF_TRADE_PREVENT,
)

P, Q = "TIDE_SPOT", "WX_SPOT"

pytestmark = pytest.mark.usefixtures("each_engine")  # every test runs on the Python and the compiled engine


@pytest.fixture
def engine(each_engine) -> MatchingEngine:
    return each_engine([P, Q])


def fills(events) -> list[tuple]:
    """(price, volume, taker id, maker id) of each fill."""
    return [(e.price, e.volume, e.taker_order_id, e.maker_order_id) for e in events if type(e) is Fill]


def book_state(engine: MatchingEngine) -> dict:
    return {p: engine.depth(p) for p in engine.books} | {"orders": [engine.order(i) for i in
                                                                     engine.resting_order_ids()]}


# -- price priority, FIFO, execution price ------------------------------------------------------------

def test_buy_crossing_several_asks_fills_lowest_price_first(engine):
    engine.submit(1, "a", P, SELL, 103, 1)  # id 1
    engine.submit(2, "b", P, SELL, 101, 1)  # id 2
    engine.submit(3, "c", P, SELL, 102, 1)  # id 3
    events = engine.submit(4, "d", P, BUY, 103, 3)
    assert fills(events) == [(101, 1, 4, 2), (102, 1, 4, 3), (103, 1, 4, 1)]
    assert engine.depth(P).asks == [] and engine.depth(P).bids == []
    engine._check()


def test_sell_crossing_several_bids_fills_highest_price_first(engine):
    engine.submit(1, "a", P, BUY, 98, 1)
    engine.submit(2, "b", P, BUY, 100, 1)
    engine.submit(3, "c", P, BUY, 99, 1)
    events = engine.submit(4, "d", P, SELL, 98, 3)
    assert [f[0] for f in fills(events)] == [100, 99, 98]
    engine._check()


def test_orders_at_one_level_fill_oldest_first(engine):
    for owner in ("a", "b", "c"):
        engine.submit(1, owner, P, SELL, 100, 2)
    events = engine.submit(2, "d", P, BUY, 100, 5)
    assert [(f.maker, f.volume) for f in events if type(f) is Fill] == [("a", 2), ("b", 2), ("c", 1)]
    assert engine.orders_of("c")[0].remaining == 1
    engine._check()


def test_partial_fill_keeps_maker_time_priority(engine):
    engine.submit(1, "a", P, SELL, 100, 5)  # id 1
    engine.submit(1, "b", P, SELL, 100, 5)  # id 2
    engine.submit(2, "c", P, BUY, 100, 2)  # a is left with 3, still first
    events = engine.submit(3, "c", P, BUY, 100, 4)
    assert fills(events) == [(100, 3, 4, 1), (100, 1, 4, 2)]
    engine._check()


def test_crossing_buy_executes_at_resting_ask_price_not_its_limit(engine):
    engine.submit(1, "a", P, SELL, 100, 1)
    events = engine.submit(2, "b", P, BUY, 150, 1)
    (fill,) = [e for e in events if type(e) is Fill]
    assert fill.price == 100
    assert (fill.buyer, fill.seller, fill.taker_side) == ("b", "a", BUY)


def test_crossing_sell_executes_at_resting_bid_price(engine):
    engine.submit(1, "a", P, BUY, 100, 1)
    (fill,) = fills(engine.submit(2, "b", P, SELL, 1, 1))
    assert fill[0] == 100


def test_non_crossing_order_rests_without_fills(engine):
    engine.submit(1, "a", P, SELL, 101, 1)
    events = engine.submit(2, "b", P, BUY, 100, 1)
    assert [type(e) for e in events] == [OrderAccepted]
    assert engine.best_prices(P) == (100, 101)
    engine._check()


def test_order_only_matches_its_own_product(engine):
    engine.submit(1, "a", Q, SELL, 100, 1)
    events = engine.submit(2, "b", P, BUY, 200, 1)
    assert fills(events) == []
    assert engine.best_prices(P) == (200, None) and engine.best_prices(Q) == (None, 100)


# -- partial fills and remainders -------------------------------------------------------------------

def test_partially_filled_taker_rests_remainder_at_its_limit(engine):
    engine.submit(1, "a", P, SELL, 100, 3)
    events = engine.submit(2, "b", P, BUY, 101, 10)
    assert fills(events) == [(100, 3, 2, 1)]
    (view,) = engine.orders_of("b")
    assert (view.price, view.volume, view.remaining, view.filled) == (101, 10, 7, 3)
    assert engine.depth(P).bids == [DepthLevel(101, 7, 0)]
    engine._check()


def test_partially_filled_maker_stays_with_its_remainder(engine):
    engine.submit(1, "a", P, SELL, 100, 10)
    events = engine.submit(2, "b", P, BUY, 100, 4)
    (fill,) = [e for e in events if type(e) is Fill]
    assert fill.maker_remaining == 6
    assert engine.order(1).remaining == 6 and engine.order(1).volume == 10
    assert engine.order(2) is None  # fully filled taker never rests
    engine._check()


def test_taker_stops_at_its_limit_price(engine):
    engine.submit(1, "a", P, SELL, 100, 1)
    engine.submit(1, "a", P, SELL, 102, 1)
    events = engine.submit(2, "b", P, BUY, 101, 5)
    assert fills(events) == [(100, 1, 3, 1)]
    assert engine.best_prices(P) == (101, 102)
    engine._check()


# -- cancels ----------------------------------------------------------------------------------------

def test_cancel_by_id_removes_order_and_reports_open_volume(engine):
    engine.submit(1, "a", P, BUY, 100, 5)
    engine.submit(2, "b", P, SELL, 100, 2)
    (event,) = engine.cancel(3, 1, "a")
    assert type(event) is OrderCancelled
    assert (event.order_id, event.owner, event.price, event.volume, event.reason) == (1, "a", 100, 3, "user")
    assert engine.order(1) is None and engine.depth(P).bids == []
    engine._check()


def test_cancel_of_another_owners_order_is_rejected_and_order_stays(engine):
    engine.submit(1, "a", P, BUY, 100, 5)
    (event,) = engine.cancel(2, 1, "mallory")
    assert type(event) is CancelRejected and event.reason == UNKNOWN_ORDER
    assert event.owner == "mallory"
    assert engine.order(1).remaining == 5
    engine._check()


def test_cancel_of_unknown_or_filled_order_is_rejected(engine):
    engine.submit(1, "a", P, BUY, 100, 5)
    engine.submit(2, "b", P, SELL, 100, 5)
    assert type(engine.cancel(3, 1, "a")[0]) is CancelRejected  # filled
    assert type(engine.cancel(3, 999, "a")[0]) is CancelRejected  # never existed
    assert type(engine.cancel(3, 999)[0]) is CancelRejected


def test_cancel_twice_second_is_rejected(engine):
    engine.submit(1, "a", P, BUY, 100, 5)
    assert type(engine.cancel(2, 1, "a")[0]) is OrderCancelled
    assert type(engine.cancel(3, 1, "a")[0]) is CancelRejected


def test_cancel_and_replace_loses_time_priority(engine):
    engine.submit(1, "a", P, SELL, 100, 1)  # 1
    engine.submit(1, "b", P, SELL, 100, 1)  # 2
    engine.cancel(2, 1, "a")
    engine.submit(3, "a", P, SELL, 100, 1)  # 3, now behind b
    assert [f[3] for f in fills(engine.submit(4, "c", P, BUY, 100, 1))] == [2]
    engine._check()


def test_cancel_at_price_cancels_only_owners_orders_at_that_price_and_product(engine):
    engine.submit(1, "a", P, BUY, 100, 1)  # 1 cancelled
    engine.submit(1, "b", P, BUY, 100, 1)  # 2 other owner
    engine.submit(1, "a", P, BUY, 99, 1)  # 3 other price
    engine.submit(1, "a", Q, BUY, 100, 1)  # 4 other product
    engine.submit(1, "a", P, BUY, 100, 2)  # 5 cancelled
    events = engine.cancel_at_price(2, "a", P, 100)
    assert [(type(e), e.order_id) for e in events] == [(OrderCancelled, 1), (OrderCancelled, 5)]
    assert engine.resting_order_ids() == [2, 3, 4]
    engine._check()


def test_cancel_at_price_with_nothing_there_returns_no_events(engine):
    assert engine.cancel_at_price(1, "a", P, 100) == []


# -- depth ------------------------------------------------------------------------------------------

def test_depth_aggregates_levels_best_first_with_owner_share(engine):
    engine.submit(1, "a", P, BUY, 99, 2)
    engine.submit(1, "b", P, BUY, 99, 3)
    engine.submit(1, "a", P, BUY, 100, 1)
    engine.submit(1, "b", P, SELL, 105, 4)
    engine.submit(1, "a", P, SELL, 103, 5)
    depth = engine.depth(P, owner="a")
    assert depth.bids == [DepthLevel(100, 1, 1), DepthLevel(99, 5, 2)]
    assert depth.asks == [DepthLevel(103, 5, 5), DepthLevel(105, 4, 0)]
    assert engine.depth(P).bids == [DepthLevel(100, 1, 0), DepthLevel(99, 5, 0)]
    assert engine.resting_volume("a", P, BUY) == 3 and engine.resting_volume("a", P, SELL) == 5
    assert engine.resting_volume("nobody", P, BUY) == 0


# -- self-trades ------------------------------------------------------------------------------------

def test_self_trade_is_allowed_by_default(engine):
    engine.submit(1, "a", P, SELL, 100, 2)
    events = engine.submit(2, "a", P, BUY, 100, 2)
    (fill,) = [e for e in events if type(e) is Fill]
    assert fill.buyer == fill.seller == "a"
    engine._check()


def test_self_trade_prevention_cancels_resting_order_and_skips_to_next():
    engine = MatchingEngine([P], self_trade=SELF_TRADE_PREVENT)
    engine.submit(1, "a", P, SELL, 100, 2)  # 1: own order, cancelled
    engine.submit(1, "b", P, SELL, 100, 1)  # 2: filled
    engine.submit(1, "a", P, SELL, 101, 1)  # 3: own order at next level, cancelled
    events = engine.submit(2, "a", P, BUY, 101, 3)
    kinds = [(type(e).__name__, getattr(e, "order_id", None) or getattr(e, "maker_order_id", None))
             for e in events]
    assert kinds == [("OrderAccepted", 4), ("OrderCancelled", 1), ("Fill", 2), ("OrderCancelled", 3)]
    assert {e.reason for e in events if type(e) is OrderCancelled} == {"self_trade"}
    assert engine.order(4).remaining == 2  # the remainder rests
    assert engine.orders_of("a") == [engine.order(4)]
    engine._check()


def test_self_trade_setting_rejects_unknown_value():
    with pytest.raises(ValueError):
        MatchingEngine([P], self_trade="maybe")


# -- rejections -------------------------------------------------------------------------------------

@pytest.mark.parametrize("product, side, price, volume, reason", [
    ("NOPE", BUY, 100, 1, UNKNOWN_PRODUCT),
    (P, 0, 100, 1, BAD_SIDE),
    (P, 2, 100, 1, BAD_SIDE),
    (P, "BUY", 100, 1, BAD_SIDE),
    (P, None, 100, 1, BAD_SIDE),
    (P, BUY, 0, 1, BAD_PRICE),
    (P, BUY, -5, 1, BAD_PRICE),
    (P, BUY, 100.0, 1, BAD_PRICE),
    (P, BUY, 100.5, 1, BAD_PRICE),
    (P, BUY, "100", 1, BAD_PRICE),
    (P, BUY, True, 1, BAD_PRICE),
    (P, BUY, 100, 0, BAD_VOLUME),
    (P, BUY, 100, -1, BAD_VOLUME),
    (P, BUY, 100, 1.0, BAD_VOLUME),
    (P, BUY, 100, None, BAD_VOLUME),
    (P, BUY, 100, True, BAD_VOLUME),
])
def test_bad_input_is_rejected_and_leaves_books_unchanged(engine, product, side, price, volume, reason):
    engine.submit(1, "a", P, SELL, 100, 3)
    engine.submit(1, "b", P, BUY, 99, 3)
    before = book_state(engine)
    (event,) = engine.submit(2, "c", product, side, price, volume)
    assert type(event) is OrderRejected
    assert event.reason == reason and event.detail
    assert (event.owner, event.product, event.side, event.price, event.volume) == ("c", product, side, price,
                                                                                  volume)
    assert book_state(engine) == before
    engine._check()


def test_rejection_does_not_consume_an_order_id(engine):
    engine.submit(1, "a", P, BUY, 0, 1)
    assert engine.submit(1, "a", P, BUY, 1, 1)[0].order_id == 1


# -- events -----------------------------------------------------------------------------------------

def test_event_sequence_numbers_strictly_increase_and_carry_callers_timestamp(engine):
    stream = []
    stream += engine.submit(10, "a", P, SELL, 100, 1)
    stream += engine.submit(20, "a", P, SELL, 101, 1)
    stream += engine.submit(30, "b", P, BUY, 101, 3)
    stream += engine.submit(40, "b", P, BUY, -1, 3)
    stream += engine.cancel(50, 3, "b")
    stream += engine.cancel(60, 3, "b")
    assert [e.seq for e in stream] == list(range(1, len(stream) + 1))
    assert [e.ts for e in stream] == [10, 20, 30, 30, 30, 40, 50, 60]


def test_engine_can_share_a_callers_sequence():
    import itertools
    seq = itertools.count(100)
    engine = MatchingEngine([P], sequence=seq)
    assert engine.submit(1, "a", P, BUY, 1, 1)[0].seq == 100
    assert next(seq) == 101


@pytest.mark.parametrize("make", [
    lambda e: e.submit(1, "a", P, BUY, 100, 1)[0],
    lambda e: (e.submit(1, "a", P, BUY, 100, 1), e.submit(1, "b", P, SELL, 100, 1)[1])[1],
    lambda e: (e.submit(1, "a", P, BUY, 100, 1), e.cancel(2, 1))[1][0],
    lambda e: e.cancel(2, 1)[0],
    lambda e: e.submit(1, "a", P, BUY, 0, 1)[0],
])
def test_events_are_immutable(engine, make):
    event = make(engine)
    with pytest.raises(AttributeError):
        event.seq = 0
    with pytest.raises(TypeError):
        event[0] = 0  # type: ignore[index]
    assert hash(event) == hash(tuple(event))


@pytest.mark.parametrize("side", [True, False, 1.0, -1.0])
def test_bool_or_float_side_is_rejected_as_bad_side(engine, side):
    # True == 1 and 1.0 == 1, so an equality check alone let these through as BUY and put them in events.
    engine.submit(1, "a", P, SELL, 100, 3)
    before = book_state(engine)
    (event,) = engine.submit(2, "c", P, side, 100, 1)
    assert type(event) is OrderRejected and event.reason == BAD_SIDE
    assert book_state(engine) == before
