"""Exchange.place/cancel: position limits, trading hours, order size, results, and the event log."""

from __future__ import annotations

import pytest

from cmi_sim.engine import BAD_PRICE, BAD_VOLUME, BUY, SELL, CancelRejected, OrderCancelled, OrderRejected
from cmi_sim.exchange import MARKET_CLOSED, POSITION_LIMIT, Exchange, ExchangeRules, TradingHours
from cmi_sim.products import Product

P, Q = "TIDE_SPOT", "WX_SPOT"
PRODUCTS = (Product(P, starting_price=100), Product(Q, starting_price=200))


def make(**rules) -> Exchange:
    return Exchange(PRODUCTS, ExchangeRules(**rules))


def snapshot(exchange: Exchange) -> tuple:
    return (exchange.depth(P), exchange.depth(Q), exchange.positions("a"), exchange.positions("b"),
            exchange.engine.resting_order_ids(), len(exchange.tape))


# -- position limit ---------------------------------------------------------------------------------

def test_buy_to_exactly_the_limit_is_allowed():
    ex = make()
    ex.place(1, "b", P, SELL, 100, 100)
    result = ex.place(2, "a", P, BUY, 100, 100)
    assert result.status == "FILLED"
    assert ex.positions("a") == {P: 100} and ex.positions("b") == {P: -100}


def test_order_past_the_limit_is_rejected_whole_and_changes_nothing():
    ex = make()
    ex.place(1, "b", P, SELL, 100, 100)
    ex.place(2, "a", P, BUY, 100, 60)
    before = snapshot(ex)
    result = ex.place(3, "a", P, BUY, 100, 41)  # 60 + 41 > 100: not even the first 40 fill
    assert result.status == "REJECTED" and result.accepted is None
    assert result.rejection.reason == POSITION_LIMIT
    assert "60" in result.rejection.detail and "101" in result.rejection.detail
    assert snapshot(ex) == before
    assert ex.log[-1] == result.rejection


def test_first_order_larger_than_the_limit_is_rejected():
    ex = make()
    assert ex.place(1, "a", P, BUY, 100, 101).rejection.reason == POSITION_LIMIT
    assert ex.place(1, "a", P, SELL, 100, 101).rejection.reason == POSITION_LIMIT


def test_short_side_limit_applies_to_sells():
    ex = make()
    ex.place(1, "a", P, BUY, 100, 100)
    assert ex.place(2, "b", P, SELL, 100, 100).status == "FILLED"
    assert ex.place(3, "b", P, SELL, 100, 1).rejection.reason == POSITION_LIMIT
    assert ex.place(3, "b", P, BUY, 90, 200).status == "ACTIVE"  # -100 + 200 = +100: allowed


def test_order_reducing_position_is_allowed_at_the_limit():
    ex = make()
    ex.place(1, "a", P, BUY, 100, 100)
    ex.place(2, "b", P, SELL, 100, 100)
    assert ex.place(3, "a", P, SELL, 120, 50).status == "ACTIVE"


def test_limit_is_per_product():
    ex = make()
    ex.place(1, "b", P, SELL, 100, 100)
    ex.place(2, "a", P, BUY, 100, 100)
    assert ex.place(3, "a", Q, BUY, 100, 100).status == "ACTIVE"


def test_resting_same_side_volume_is_ignored_with_the_position_only_setting():
    ex = make(limit_counts_resting=False)
    assert ex.place(1, "a", P, BUY, 90, 80).status == "ACTIVE"
    assert ex.place(2, "a", P, BUY, 90, 80).status == "ACTIVE"


def test_limit_counts_resting_same_side_volume_by_default():
    ex = make()
    ex.place(1, "a", P, BUY, 90, 60)
    rejected = ex.place(2, "a", P, BUY, 90, 41)
    assert rejected.rejection.reason == POSITION_LIMIT and "resting" in rejected.rejection.detail
    assert ex.place(3, "a", P, BUY, 90, 40).status == "ACTIVE"
    assert ex.place(4, "a", P, SELL, 200, 100).status == "ACTIVE"  # the other side is not counted


def test_limit_counts_resting_after_partial_fill_counts_only_open_volume():
    ex = make()
    ex.place(1, "a", P, BUY, 90, 100)
    ex.place(2, "b", P, SELL, 90, 30)  # a: position 30, 70 still resting
    assert ex.place(3, "a", P, BUY, 90, 1).rejection.reason == POSITION_LIMIT
    ex.cancel(4, "a", 1)
    assert ex.place(5, "a", P, BUY, 90, 70).status == "ACTIVE"


def test_resting_buys_filled_later_never_carry_the_position_past_the_limit():
    ex = make()
    for ts in range(1, 6):
        ex.place(ts, "a", P, BUY, 90, 30)  # the fourth and fifth are refused: 90 rests, 30 more could pass
    assert ex.place(10, "b", P, SELL, 90, 100).filled == 90
    assert ex.positions("a") == {P: 90}


def test_reducing_order_from_beyond_the_limit_is_accepted():
    """Under the position-only rule resting sells can fill past the limit; reducing stays allowed."""
    ex = make(limit_counts_resting=False)
    ex.place(1, "a", P, SELL, 100, 100)
    ex.place(2, "a", P, SELL, 100, 100)
    ex.place(3, "b", P, BUY, 100, 100)
    ex.place(3, "c", P, BUY, 100, 100)
    assert ex.positions("a") == {P: -200}
    assert ex.place(4, "a", P, BUY, 90, 3).status == "ACTIVE"  # -200 -> -197: towards zero
    refused = ex.place(5, "a", P, SELL, 110, 1)
    assert refused.rejection.reason == POSITION_LIMIT and "-200 to -201" in refused.rejection.detail
    assert ex.place(6, "a", P, BUY, 90, 401).rejection.reason == POSITION_LIMIT  # flips to beyond +100


def test_reducing_sell_at_the_limit_with_resting_sells_is_accepted():
    ex = make()
    ex.place(1, "b", P, SELL, 100, 100)
    ex.place(2, "a", P, BUY, 100, 100)
    assert ex.place(3, "a", P, SELL, 120, 60).status == "ACTIVE"
    assert ex.place(4, "a", P, SELL, 121, 140).status == "ACTIVE"  # worst case 100 - 200 = -100
    assert ex.place(5, "a", P, SELL, 122, 1).rejection.reason == POSITION_LIMIT


# -- hours, settlement, order size ------------------------------------------------------------------

def test_order_before_open_or_at_close_is_rejected_market_closed():
    ex = Exchange(PRODUCTS, hours=TradingHours(1_000, 2_000))
    for ts in (0, 999, 2_000, 5_000):
        result = ex.place(ts, "a", P, BUY, 100, 1)
        assert result.rejection.reason == MARKET_CLOSED and "hours" in result.rejection.detail
    assert ex.place(1_000, "a", P, BUY, 100, 1).status == "ACTIVE"
    assert ex.place(1_999, "a", P, BUY, 100, 1).status == "ACTIVE"
    assert not ex.is_open(999) and ex.is_open(1_000) and not ex.is_open(2_000)


def test_order_after_settlement_is_rejected_market_closed():
    ex = make()
    ex.settle(10, {P: 100.0, Q: 200.0})
    result = ex.place(11, "a", P, BUY, 100, 1)
    assert result.rejection.reason == MARKET_CLOSED and "settled" in result.rejection.detail
    assert not ex.is_open(11)


def test_order_above_max_volume_is_rejected_as_bad_volume():
    ex = make(max_order_volume=50, position_limit=1_000)
    assert ex.place(1, "a", P, BUY, 100, 51).rejection.reason == BAD_VOLUME
    assert ex.place(1, "a", P, BUY, 100, 50).status == "ACTIVE"


@pytest.mark.parametrize("args, reason", [
    ((P, BUY, 0, 1), BAD_PRICE),
    ((P, BUY, 100, 0), BAD_VOLUME),
    ((P, BUY, 100, 1.5), BAD_VOLUME),
    ((P, 3, 100, 1), "bad_side"),
    (("NOPE", BUY, 100, 1), "unknown_product"),
])
def test_engine_rejections_pass_through_unchanged(args, reason):
    ex = make()
    ex.place(1, "b", P, SELL, 100, 5)
    before = snapshot(ex)
    result = ex.place(2, "a", *args)
    assert result.status == "REJECTED" and result.rejection.reason == reason
    assert snapshot(ex) == before


# -- results, cancels, log --------------------------------------------------------------------------

def test_order_result_reports_status_filled_and_remaining():
    ex = make()
    ex.place(1, "b", P, SELL, 100, 3)
    result = ex.place(2, "a", P, BUY, 100, 5)
    assert (result.status, result.filled, result.remaining) == ("PART_FILLED", 3, 2)
    assert [(t.buyer, t.seller, t.volume, t.price) for t in result.trades] == [("a", "b", 3, 100)]
    assert ex.place(3, "b", P, SELL, 100, 2).status == "FILLED"
    assert ex.place(4, "b", P, SELL, 100, 2).status == "ACTIVE"


def test_cancel_returns_the_order_as_it_stood():
    ex = make()
    ex.place(1, "a", P, BUY, 100, 5)
    ex.place(2, "b", P, SELL, 100, 2)
    result = ex.cancel(3, "a", 1)
    assert type(result.events[0]) is OrderCancelled
    assert [(o.order_id, o.remaining) for o in result.orders] == [(1, 3)]


def test_cancel_of_another_accounts_order_is_rejected_and_reveals_nothing():
    ex = make()
    ex.place(1, "a", P, BUY, 100, 5)
    result = ex.cancel(2, "b", 1)
    assert type(result.events[0]) is CancelRejected and result.orders == []
    assert ex.order("a", 1) is not None and ex.order("b", 1) is None


def test_cancel_at_price_cancels_all_own_orders_there():
    ex = make()
    ex.place(1, "a", P, BUY, 100, 1)
    ex.place(1, "a", P, BUY, 100, 2)
    ex.place(1, "b", P, BUY, 100, 3)
    result = ex.cancel_at_price(2, "a", P, 100)
    assert [o.order_id for o in result.orders] == [1, 2]
    assert [o.order_id for o in ex.orders("b")] == [3] and ex.orders("a") == []


def test_log_holds_every_event_in_sequence_and_listeners_see_them():
    ex = make()
    seen = []
    unsubscribe = ex.subscribe(lambda events, trades: seen.append((list(events), list(trades))))
    ex.place(1, "a", P, BUY, 100, 5)
    ex.place(2, "b", P, SELL, 100, 2)
    ex.place(3, "b", P, SELL, 0, 2)
    ex.cancel(4, "a", 1)
    unsubscribe()
    ex.cancel(5, "a", 1)
    assert [e.seq for e in ex.log] == list(range(1, len(ex.log) + 1))
    assert [e for events, _ in seen for e in events] == ex.log[:-1]
    assert [len(trades) for _, trades in seen] == [0, 1, 0, 0]
    assert type(ex.log[2]) is not OrderRejected and type(ex.log[3]) is OrderRejected


def test_limit_exempt_account_trades_past_the_limit_but_not_outside_hours():
    from cmi_sim.exchange import Exchange, ExchangeRules, TradingHours
    from cmi_sim.products import cmi_products

    exchange = Exchange(cmi_products(), ExchangeRules(position_limit=10), TradingHours(0, 1_000))
    exchange.exempt_from_limit("market")
    assert exchange.place(1, "market", "TIDE_SPOT", 1, 50, 500).status == "ACTIVE"
    assert exchange.place(2, "bot", "TIDE_SPOT", 1, 50, 11).rejection.reason == "position_limit"
    assert exchange.place(2_000, "market", "TIDE_SPOT", 1, 50, 5).rejection.reason == "market_closed"


def test_printed_trade_sets_the_mark_and_tape_but_moves_no_position():
    from cmi_sim.exchange import Exchange, TapePrint
    from cmi_sim.products import cmi_products

    exchange = Exchange(cmi_products())
    seen = []
    exchange.subscribe(lambda events, trades: seen.append((events, trades)))
    trade = exchange.print_trade(5, "WX_SPOT", "alice", "bob", 3, 4400)
    assert exchange.tape.since() == [trade]
    assert exchange.mark("WX_SPOT") == 4400
    assert exchange.positions("alice") == {} and exchange.ledger.accounts() == []
    [(events, trades)] = seen
    assert type(events[0]) is TapePrint and trades == []
    assert exchange.log[-1] == events[0]


def test_resting_volumes_follow_reduce_cancel_at_price_self_trade_prevention_and_settlement():
    ex = make(self_trade="prevent")

    def agree() -> None:
        for owner in ("a", "b"):
            for side in (BUY, SELL):
                assert ex.resting.volume(owner, P, side) == ex.engine.resting_volume(owner, P, side)

    first = ex.place(1, "a", P, BUY, 90, 30).accepted.order_id
    ex.place(2, "a", P, BUY, 91, 20)
    ex.place(3, "b", P, SELL, 95, 10)
    agree()
    ex.reduce_order(4, "a", first, 5)
    agree()
    ex.cancel_at_price(5, "a", P, 91)
    agree()
    ex.place(6, "b", P, BUY, 95, 4)  # b's own resting sell is cancelled, not traded
    agree()
    ex.place(7, "b", P, SELL, 90, 3)  # fills a's bid
    agree()
    assert ex.resting.volume("a", P, BUY) == 2
    ex.settle(8, {P: 100.0, Q: 200.0})
    agree()
    assert all(v == 0 for v in ex.resting.volumes.values())
