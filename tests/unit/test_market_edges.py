"""Where the synthetic market leaves money on the table, over many seeds, as the real one did: an
ETF-basket arbitrage exists only in short episodes, and a quoter with a better view (the data-implied
value) beats one with a stale view (the session's starting prices).

The market runs in-process (cmi_sim.simulation), with the test's bots as extra participants acting
between the market's steps: no bot backtest, so it stays fast."""

from __future__ import annotations

from collections.abc import Callable
from statistics import mean

import pytest

from cmi_sim.engine import BUY, SELL
from cmi_sim.market.fair_value import BASKET
from cmi_sim.sessions import load_session
from cmi_sim.simulation import Simulation

SECOND_NS = 10**9
HOUR_NS = 3600 * SECOND_NS
SEEDS = range(1, 7)


def drive(sim: Simulation, until_ns: int, every_ns: int, observe: Callable[[int], None]) -> None:
    """Run the market to `until_ns`, calling `observe(t)` at every multiple of `every_ns` after the open."""
    open_ns = sim.session.open_ns
    wake = sim.market_step(open_ns)
    next_ns = open_ns + every_ns
    while next_ns <= until_ns:
        while wake is not None and wake <= next_ns:
            wake = sim.market_step(wake)
        observe(next_ns)
        next_ns += every_ns


def etf_edge(sim: Simulation) -> int | None:
    """What buying one side and selling the other of LON_ETF against its basket earns now, after crossing
    every spread (None when a book is one-sided)."""
    engine = sim.exchange.engine
    etf_bid, etf_ask = engine.best_prices("LON_ETF")
    books = [engine.best_prices(p) for p in BASKET]
    if etf_bid is None or etf_ask is None or any(b is None or a is None for b, a in books):
        return None
    return max(etf_bid - sum(a for _, a in books), sum(b for b, _ in books) - etf_ask)


@pytest.fixture(scope="module")
def london():
    return load_session("london-2026-02-28")


@pytest.mark.parametrize("seed", SEEDS)
def test_the_etf_basket_arbitrage_pays_only_in_short_episodes(london, seed):
    sim = Simulation(london, clock=lambda: 0, seed=seed)
    edges: list[int] = []

    def observe(_: int) -> None:
        edge = etf_edge(sim)
        if edge is not None:
            edges.append(edge)

    drive(sim, london.open_ns + 4 * HOUR_NS, 10 * SECOND_NS, observe)
    assert len(edges) > 0.9 * 4 * 360  # the four books are two-sided nearly all the time
    episodes, run = [], 0
    for edge in edges + [0]:
        if edge > 0:
            run += 1
        elif run:
            episodes.append(run)
            run = 0
    share = sum(episodes) / len(edges)
    assert 0 < share < 0.10, share  # there are edges, but not all day
    assert max(episodes) <= 30, max(episodes)  # each closed within five minutes (30 looks 10 s apart)


class Quoter:
    """Quotes one lot each side of its view of every product, `half` ticks away, re-quoting each look, and
    leans a tick per lot against its position (so what it earns is its view's worth, not a bet)."""

    def __init__(self, name: str, sim: Simulation, view: Callable[[str, int], int], half: int = 3) -> None:
        self.name, self.sim, self.view, self.half = name, sim, view, half
        self.orders: list[int] = []

    def act(self, now_ns: int) -> None:
        exchange = self.sim.exchange
        for order_id in self.orders:
            if exchange.order(self.name, order_id) is not None:
                exchange.cancel(now_ns, self.name, order_id)
        self.orders = []
        for product in exchange.products:
            position = exchange.ledger.position(self.name, product)
            value = self.view(product, now_ns) - position
            for side in (BUY, SELL):
                if side * position >= exchange.rules.position_limit - 1:
                    continue
                result = exchange.place(now_ns, self.name, product, side, max(1, value - side * self.half), 1)
                if result.accepted is not None and result.remaining:
                    self.orders.append(result.accepted.order_id)


def test_quoting_around_the_data_implied_value_beats_quoting_around_a_stale_price():
    synthetic = [load_session("synthetic", seed=seed) for seed in SEEDS]
    informed, stale = [], []
    for session in synthetic:
        sim = Simulation(session, clock=lambda: 0)
        fair = sim.market.context.fair
        bots = [Quoter("informed", sim, lambda p, t: fair[p].at(t)),
                Quoter("stale", sim, lambda p, t: session.products[p])]
        until = session.open_ns + 6 * HOUR_NS
        drive(sim, until, 30 * SECOND_NS, lambda t: [bot.act(t) for bot in bots])
        pnl = sim.exchange.settle(until, session.settlement_values)
        informed.append(sum(pnl["informed"].values()))
        stale.append(sum(pnl["stale"].values()))
    assert mean(informed) > mean(stale), (informed, stale)
    # The stale quoter's result is a bet on where its prices happen to sit; the informed one earns steadily.
    assert sum(i > 0 for i in informed) >= len(SEEDS) - 1, informed
