"""One account's trading record, built from exchange events after a run: fills with order ids and the
position after each, a timeline of equity, cash, positions and PnL per product, checked against the
exchange's own ledger."""

from __future__ import annotations

from cmi_sim.backtest.adapter.trading_record import check_against_exchange, trading_record
from cmi_sim.engine import Fill, OrderRejected, TapePrint
from cmi_sim.products import Product

PRODUCTS = {"A": Product("A", starting_price=90), "B": Product("B", starting_price=40)}


def fill(ts, product, price, volume, taker, maker, taker_side, taker_id=1, maker_id=2):
    return Fill(ts, ts, product, price, volume, taker_id, taker, maker_id, maker, taker_side, 0)


def record(events, final=None, end_ns=1_000):
    return trading_record(events, "me", PRODUCTS, lambda number: f"id-{number}", final, end_ns)


def rows(part):
    return [dict(zip(part["columns"], row)) for row in part["rows"]]


def test_fills_carry_the_order_id_the_bot_saw_and_the_position_after():
    events = [
        fill(1, "A", 100, 5, "me", "x", 1, taker_id=7),  # I buy 5 as the taker: my order is 7
        fill(2, "A", 110, 2, "x", "me", 1, maker_id=8),  # x buys 2 from my resting order 8
        fill(3, "B", 50, 7, "x", "y", -1),  # not mine
        OrderRejected(4, 4, "me", "A", 1, 100, 1, "position_limit", "no"),
    ]
    fills = rows(record(events)["fills"])
    assert [(f["order_id"], f["side"], f["price"], f["volume"], f["counterparty"], f["aggressor"],
             f["position_after"], f["cash_after"]) for f in fills] == [
        ("id-7", "BUY", 100.0, 5, "x", True, 5, -500.0), ("id-8", "SELL", 110.0, 2, "x", False, 3, -280.0)]


def test_timeline_has_equity_cash_positions_and_pnl_per_product():
    events = [fill(1, "A", 100, 5, "me", "x", 1), fill(2, "B", 40, 1, "x", "me", 1)]
    timeline = rows(record(events)["timeline"])
    last = timeline[-1]
    assert last["position.A"] == 5 and last["position.B"] == -1
    assert last["cash"] == -500.0 + 40.0
    assert last["pnl.A"] == 0.0 and last["pnl.B"] == 0.0 and last["equity"] == 0.0


def test_equity_marks_at_the_median_of_recent_trades_so_one_wild_print_does_not_swing_it():
    events = [fill(1, "A", 100, 1, "me", "x", 1)] + [fill(t, "A", 100, 1, "x", "y", 1) for t in range(2, 8)]
    events.append(TapePrint(8, 8, "A", 100_000, 1, "r1", "r2"))  # a fat-finger print on the tape
    timeline = rows(record(events)["timeline"])
    assert max(row["equity"] for row in timeline) == 0.0


def test_the_exchanges_final_pnl_closes_the_curve_and_positions_match_the_exchange():
    events = [fill(1, "A", 100, 2, "me", "x", 1)]
    result = record(events, final={"A": 50.0}, end_ns=100)
    assert result["timeline"]["rows"][-1][:2] == [100, 50.0]
    assert check_against_exchange(result, {"A": 2}) is None
    assert "!=" in check_against_exchange(result, {"A": 3})
