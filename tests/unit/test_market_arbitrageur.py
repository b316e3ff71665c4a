"""The ETF arbitrageur: trades LON_ETF against its basket after its delay, only when the edge beats every
spread, and leaves nothing resting."""

from __future__ import annotations

from cmi_sim.engine import BUY, SELL
from cmi_sim.exchange import Exchange, ExchangeRules
from cmi_sim.market.arbitrageur import Arbitrageur
from cmi_sim.market.context import MarketContext
from cmi_sim.market.params import MarketParams
from cmi_sim.products import cmi_products

SECOND_NS = 10**9
MIDS = {"TIDE_SPOT": 3000, "WX_SPOT": 4600, "LHR_COUNT": 1200}


def setup(etf_mid: int) -> tuple[Arbitrageur, Exchange]:
    exchange = Exchange(cmi_products(), ExchangeRules(position_limit=100))
    params = MarketParams(arb_delay_min_ms=500, arb_delay_max_ms=500, arb_edge_ticks=3)
    context = MarketContext(exchange, {}, params, tuple(exchange.products))
    for product, mid in (*MIDS.items(), ("LON_ETF", etf_mid)):
        exchange.place(0, "maker", product, BUY, mid - 1, 10)
        exchange.place(0, "maker", product, SELL, mid + 1, 10)
    return Arbitrageur(context, 1, "t"), exchange


def test_a_rich_etf_is_sold_against_the_basket_after_the_delay():
    arb, exchange = setup(8800 + 20)  # ETF bid 8819 against basket asks 8803
    due = arb.act(SECOND_NS)
    assert due == SECOND_NS + 500_000_000 and not exchange.tape.since()
    arb.act(due)
    positions = exchange.positions(arb.name)
    size = -positions["LON_ETF"]
    assert size > 0 and all(positions[p] == size for p in MIDS)
    assert not exchange.orders(arb.name)


def test_a_cheap_etf_is_bought_against_the_basket():
    arb, exchange = setup(8800 - 20)
    arb.act(arb.act(SECOND_NS))
    positions = exchange.positions(arb.name)
    assert positions["LON_ETF"] > 0 and all(positions[p] == -positions["LON_ETF"] for p in MIDS)


def test_a_gap_inside_the_spreads_is_left_alone():
    arb, exchange = setup(8800 + 4)  # mids 4 apart, but bid 8803 against asks 8803: nothing to earn
    wake = arb.act(SECOND_NS)
    arb.act(wake)
    assert not exchange.tape.since() and not any(exchange.positions(arb.name).values())
