"""Marks (last trade, starting-price fallback, mid), PnL, and settlement's final PnL."""

from __future__ import annotations

import pytest

from cmi_sim.engine import BUY, SELL, OrderCancelled
from cmi_sim.exchange import Exchange, ExchangeRules, Settled
from cmi_sim.products import Product

P, Q = "P", "Q"
PRODUCTS = (Product(P, starting_price=50), Product(Q, starting_price=70))


def test_mark_falls_back_to_starting_price_before_any_trade():
    ex = Exchange(PRODUCTS)
    assert (ex.mark(P), ex.mark(Q)) == (50, 70)


def test_mark_is_the_last_trade_price():
    ex = Exchange(PRODUCTS)
    ex.place(1, "b", P, SELL, 60, 1)
    ex.place(1, "b", P, SELL, 61, 1)
    ex.place(2, "a", P, BUY, 61, 2)
    assert ex.mark(P) == 61 and ex.mark(Q) == 70


def test_mid_mark_uses_best_bid_and_ask_when_both_quote():
    ex = Exchange(PRODUCTS, ExchangeRules(mark="mid"))
    ex.place(1, "b", P, SELL, 60, 1)
    assert ex.mark(P) == 50  # one side only: last trade, else the starting price
    ex.place(1, "a", P, BUY, 55, 1)
    assert ex.mark(P) == 57.5


def test_pnl_is_cash_plus_position_at_the_mark():
    ex = Exchange(PRODUCTS)
    ex.place(1, "b", P, SELL, 60, 3)
    ex.place(2, "a", P, BUY, 60, 3)  # a: -180 cash, +3
    ex.place(3, "c", P, SELL, 64, 1)
    ex.place(4, "b", P, BUY, 64, 1)  # last trade 64
    assert ex.pnl("a") == {P: -180 + 3 * 64}
    assert ex.pnl("b") == {P: 180 - 64 - 2 * 64}
    assert ex.pnl("nobody") == {}
    assert sum(ex.pnl(x)[P] for x in "abc") == 0


def test_settle_cancels_resting_orders_and_returns_final_pnl_per_account_and_product():
    ex = Exchange(PRODUCTS)
    ex.place(1, "b", P, SELL, 60, 3)
    ex.place(2, "a", P, BUY, 60, 3)
    ex.place(3, "a", Q, SELL, 70, 2)
    ex.place(4, "b", Q, BUY, 75, 2)  # b buys 2 Q at 70
    ex.place(5, "a", P, BUY, 1, 5)  # still resting at settlement
    final = ex.settle(10, {P: 66.5, Q: 60})
    assert final == {"b": {P: 180 - 3 * 66.5, Q: -140 + 2 * 60}, "a": {P: -180 + 3 * 66.5, Q: 140 - 120}}
    assert ex.engine.resting_order_ids() == []
    cancels = [e for e in ex.log if type(e) is OrderCancelled]
    assert [(c.order_id, c.reason) for c in cancels] == [(5, "settlement")]
    assert type(ex.log[-1]) is Settled and ex.log[-1].prices == ((P, 66.5), (Q, 60.0))
    assert ex.mark(P) == 66.5


def test_settle_without_every_price_raises():
    ex = Exchange(PRODUCTS)
    with pytest.raises(ValueError, match=Q):
        ex.settle(1, {P: 1})
