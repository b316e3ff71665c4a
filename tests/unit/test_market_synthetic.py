"""The synthetic market through a simulated hour with no bot, driven in virtual time as a backtest does."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from cmi_sim.engine import BUY, OrderRejected
from cmi_sim.exchange import ExchangeRules
from cmi_sim.sessions import Session, load_session
from cmi_sim.simulation import Simulation

SECOND_NS = 10**9
HOUR_S = 3600


@pytest.fixture(scope="module")
def london() -> Session:
    return load_session("london-2026-02-28")


@dataclass
class HourRun:
    sim: Simulation
    two_sided: dict[str, int] = field(default_factory=dict)
    max_position: int = 0
    steps: int = 0


def run_hour(session: Session, seed: int | None = None, rules: ExchangeRules | None = None,
             seconds: int = HOUR_S) -> HourRun:
    """Call market_step at every wake the market asks for, sampling the books once a virtual second."""
    run = HourRun(Simulation(session, clock=lambda: 0, seed=seed, rules=rules))
    exchange = run.sim.exchange
    run.two_sided = {p: 0 for p in exchange.products}
    wake = run.sim.market_step(session.open_ns)
    for second in range(1, seconds + 1):
        now = session.open_ns + second * SECOND_NS
        while wake is not None and wake <= now:
            wake = run.sim.market_step(wake)
            run.steps += 1
        for product in exchange.products:
            bid, ask = exchange.engine.best_prices(product)
            run.two_sided[product] += bid is not None and ask is not None
        if second % 60 == 0:
            positions = exchange.ledger.positions
            run.max_position = max([run.max_position] + [abs(v) for acc in positions.values() for v in acc.values()])
    return run


@pytest.fixture(scope="module")
def hour(london) -> HourRun:
    return run_hour(london)


def test_hour_books_are_two_sided_almost_always(hour):
    assert all(count >= 0.9 * HOUR_S for count in hour.two_sided.values()), hour.two_sided


def test_hour_trades_and_quotes_are_positive_ticks(hour):
    exchange = hour.sim.exchange
    assert len(exchange.tape) > 500  # tens of thousands a day, like the live exchange
    assert all(type(t.price) is int and t.price > 0 and type(t.volume) is int and t.volume > 0
               for t in exchange.tape.trades)
    for product in exchange.products:
        depth = exchange.depth(product)
        assert all(type(level.price) is int and level.price > 0 for level in depth.bids + depth.asks)


def test_hour_market_is_never_rejected_nor_over_its_limit(hour):
    assert not [e for e in hour.sim.exchange.log if type(e) is OrderRejected]
    assert hour.max_position <= hour.sim.exchange.rules.position_limit


def test_hour_quotes_are_thin_with_occasional_big_size(hour):
    exchange = hour.sim.exchange
    sizes = [e.volume for e in exchange.log if type(e).__name__ == "OrderAccepted" and e.owner.startswith("mm-")]
    small = sum(1 <= s <= 20 for s in sizes)
    big = sum(50 <= s <= 90 for s in sizes)
    assert small > 0.85 * len(sizes) and 0 < big < 0.1 * len(sizes)


def test_hour_trades_happen_near_the_fair_value(hour, london):
    exchange, sim = hour.sim.exchange, hour.sim
    for product in exchange.products:
        prices = sorted(t.price for t in exchange.tape.trades if t.product == product)
        median = prices[len(prices) // 2]
        fair = sim.fair_value(product, london.open_ns + HOUR_S * SECOND_NS // 2)
        assert abs(median - fair) <= 0.05 * fair, (product, median, fair)


def test_fair_values_close_in_on_settlement_as_the_data_arrives(london):
    sim = Simulation(london, clock=lambda: 0)
    fair = sim.market.context.fair
    late = london.close_ns - 1

    def error(ts: int) -> float:
        return sum(abs(sim.fair_value(p, ts) - v) / v for p, v in london.settlement_values.items())

    assert error(late) < error(london.open_ns) / 2
    for product, value in london.settlement_values.items():
        path = fair[product]
        assert path.sigma(late) < path.sigma(london.open_ns) / 2
        # Known nearly exactly by the close, but not from the answer: within its own uncertainty.
        assert abs(path.at(late) - value) <= max(2.0, 3 * path.sigma(late)), product


def test_same_seed_gives_identical_tapes(london, hour):
    again = run_hour(london)
    assert again.sim.exchange.tape.trades == hour.sim.exchange.tape.trades
    assert again.sim.exchange.log == hour.sim.exchange.log


def test_different_seeds_give_different_tapes(london):
    a, b = run_hour(london, seed=1, seconds=300), run_hour(london, seed=2, seconds=300)
    assert a.sim.exchange.tape.trades and a.sim.exchange.tape.trades != b.sim.exchange.tape.trades


def test_limit_counting_resting_orders_still_never_rejects_the_market(london):
    rules = ExchangeRules(limit_counts_resting=True, position_limit=30)
    run = run_hour(london, rules=rules, seconds=1200)
    assert not [e for e in run.sim.exchange.log if type(e) is OrderRejected]
    assert run.max_position <= 30
    assert all(count >= 0.9 * 1200 for count in run.two_sided.values())


def test_bot_order_trades_against_the_market(london):
    sim = Simulation(london, clock=lambda: 0)
    now = london.open_ns
    wake = sim.market_step(now)
    while wake <= now + 60 * SECOND_NS:
        wake = sim.market_step(wake)
    best_ask = sim.exchange.engine.best_prices("LHR_COUNT")[1]
    result = sim.exchange.place(wake, "bot", "LHR_COUNT", BUY, best_ask, 1)
    assert result.filled == 1 and result.trades[0].seller.startswith(("mm-", "faroff"))


def test_market_sleeps_before_open_and_stops_at_close(london):
    sim = Simulation(london, clock=lambda: 0)
    assert sim.market_step(london.open_ns - 10 * SECOND_NS) == london.open_ns
    assert not sim.exchange.log
    assert sim.market_step(london.close_ns) is None
