"""The replay market against a hand-made recording, with the exchange driven directly as the bot."""

from __future__ import annotations

import random

import pytest

from cmi_sim.engine import BUY, SELL
from cmi_sim.exchange import Exchange, ExchangeRules, TradingHours
from cmi_sim.products import cmi_products
from replay import RecordingWriter
from replay.market import ReplayMarket

T0 = 1_772_280_000_000_000_000
S = 1_000_000_000
P = "TIDE_SPOT"


class Script:
    """A recording written event by event: book(t, bids, asks), trade(t, price, volume)."""

    def __init__(self, directory) -> None:
        self.directory = directory
        self.writer = RecordingWriter(directory, "test", "rec", T0)

    def book(self, t: int, bids: list[tuple[int, int]], asks: list[tuple[int, int]]) -> Script:
        self.writer.book(T0 + t * S, P, bids, asks)
        return self

    def trade(self, t: int, price: int, volume: int) -> Script:
        ts = T0 + t * S
        self.writer.trade(ts, f"t{t}", ts, P, "b", "s", volume, price)  # seen at once: anchor = start
        return self

    def market(self, fill_model: str = "queue") -> ReplayMarket:
        self.writer.close(T0)
        exchange = Exchange(cmi_products(), ExchangeRules(), TradingHours(T0, T0 + 10_000 * S))
        return ReplayMarket.from_recording(exchange, self.directory, T0, T0 + 10_000 * S, {"fill_model": fill_model})


def run_to(market: ReplayMarket, t: int) -> None:
    """Apply everything recorded up to second `t`."""
    market.step(T0 + t * S)


def book(market: ReplayMarket) -> tuple[dict[int, int], dict[int, int]]:
    depth = market.exchange.depth(P)
    return {lv.price: lv.volume for lv in depth.bids}, {lv.price: lv.volume for lv in depth.asks}


def test_books_are_the_recorded_snapshots(tmp_path):
    m = (Script(tmp_path).book(1, [(100, 5), (99, 3)], [(102, 4)]).book(2, [(100, 2)], [(101, 1), (102, 6)])
         .market())
    run_to(m, 1)
    assert book(m) == ({100: 5, 99: 3}, {102: 4})
    run_to(m, 2)
    assert book(m) == ({100: 2}, {101: 1, 102: 6})
    assert all(o.owner == "replay" for o in m.exchange.engine.orders_of("replay"))


def test_recorded_trades_are_the_tape(tmp_path):
    m = Script(tmp_path).book(1, [(100, 5)], [(102, 4)]).trade(2, 102, 3).market()
    run_to(m, 2)
    assert [(t.ts, t.buyer, t.seller, t.volume, t.price) for t in m.exchange.tape.trades] == [(T0 + 2 * S, "b", "s", 3, 102)]


def test_aggressive_orders_consume_replayed_liquidity_exactly_once(tmp_path):
    m = (Script(tmp_path).book(1, [(100, 5)], [(101, 10)])
         .book(2, [(100, 5)], [(101, 10)])    # still shows the 10 the bot partly took
         .book(3, [(100, 5)], [(101, 7)])     # others took 3: explains 3 of the bot's 10
         .book(4, [(100, 5)], [(101, 12)])    # 5 new behind
         .market())
    run_to(m, 1)
    assert m.exchange.place(T0 + S, "bot", P, BUY, 101, 6).filled == 6
    run_to(m, 2)
    assert book(m)[1] == {101: 4}
    assert m.exchange.place(T0 + 2 * S, "bot", P, BUY, 101, 10).filled == 4  # not 10: 6 were used
    m.exchange.cancel(T0 + 2 * S, "bot", m.exchange.orders("bot")[0].order_id)
    run_to(m, 3)
    assert book(m)[1] == {}  # 7 shown, 7 of the bot's 10 not yet explained
    run_to(m, 4)
    assert book(m)[1] == {101: 5}
    assert m.exchange.positions("bot") == {P: 10}


def test_a_resting_order_fills_after_the_volume_ahead_of_it(tmp_path):
    m = (Script(tmp_path).book(1, [(100, 10)], [(103, 5)])
         .trade(2, 100, 8)                    # 8 of the 10 ahead
         .book(3, [(100, 2)], [(103, 5)])
         .trade(4, 100, 4)                    # 2 more ahead, then 2 for the bot
         .book(5, [(100, 1)], [(103, 5)])     # 1 was a cancel behind or ahead: the bot has no one ahead now
         .trade(6, 100, 5)
         .market())
    run_to(m, 1)
    order = m.exchange.place(T0 + S, "bot", P, BUY, 100, 5).accepted
    run_to(m, 3)
    assert m.exchange.positions("bot") == {}
    run_to(m, 4)
    assert m.exchange.positions("bot") == {P: 2}
    run_to(m, 6)
    assert m.exchange.positions("bot") == {P: 5} and m.exchange.order("bot", order.order_id) is None
    prices = {t.price for t in m.exchange.tape.trades if "bot" in (t.buyer, t.seller)}
    assert prices == {100}


def test_resting_orders_fill_in_queue_order(tmp_path):
    m = Script(tmp_path).book(1, [(100, 4)], [(103, 5)]).trade(2, 100, 7).trade(3, 100, 3).market()
    run_to(m, 1)
    first = m.exchange.place(T0 + S, "alice", P, BUY, 100, 2).accepted
    m.exchange.place(T0 + S, "bob", P, BUY, 100, 5)
    run_to(m, 2)  # 4 ahead, then alice 2, then bob 1
    assert (m.exchange.positions("alice"), m.exchange.positions("bob")) == ({P: 2}, {P: 1})
    assert m.exchange.order("alice", first.order_id) is None
    run_to(m, 3)
    assert m.exchange.positions("bob") == {P: 4}


def test_a_trade_through_the_price_fills_regardless_of_the_queue(tmp_path):
    m = Script(tmp_path).book(1, [(100, 50)], [(103, 5)]).trade(2, 99, 3).market()
    run_to(m, 1)
    m.exchange.place(T0 + S, "bot", P, BUY, 100, 5)
    run_to(m, 2)
    assert m.exchange.positions("bot") == {P: 3}
    assert m.exchange.tape.trades[-1].price == 100  # at the bot's resting price
    assert book(m)[0] == {100: 50 + 2}  # the replayed bids lifted for the hit are back, and the bot's 2


def test_a_crossing_quote_trades_with_the_bot_except_when_pessimistic(tmp_path):
    def fills(model: str, directory) -> int:
        m = Script(directory).book(1, [(100, 5)], [(103, 5)]).book(2, [(99, 5)], [(101, 4)]).market(model)
        run_to(m, 1)
        m.exchange.place(T0 + S, "bot", P, BUY, 101, 3)
        run_to(m, 2)
        return m.exchange.positions("bot").get(P, 0)

    assert fills("queue", tmp_path / "q") == 3
    assert fills("optimistic", tmp_path / "o") == 3
    assert fills("pessimistic", tmp_path / "p") == 0


def test_unknown_fill_model_is_refused(tmp_path):
    with pytest.raises(ValueError, match="fill_model"):
        Script(tmp_path).book(1, [], []).market("magic")


def random_recording(directory, seed: int, seconds: int = 600) -> Script:
    """A seeded random walk of books around 100 with trades printing at the touch."""
    rng = random.Random(seed)
    script = Script(directory)
    mid = 100
    for t in range(1, seconds):
        mid += rng.choice((-1, 0, 0, 1))
        mid = min(max(mid, 90), 110)
        bids = [(mid - 1 - k, rng.randint(1, 8)) for k in range(4)]
        asks = [(mid + 1 + k, rng.randint(1, 8)) for k in range(4)]
        if rng.random() < 0.5:
            side = rng.choice((bids, asks))
            script.trade(t, side[0][0], rng.randint(1, 6))
        script.book(t, bids, asks)
    return script


def passive_buyer_pnl(directory, seed: int, model: str) -> tuple[float, int, list]:
    """Every 20 s re-quotes bids at the touch and 1-2 ticks below; settles at 120 (every buy is a gain).
    Small enough never to reach the position limit, so more fills always mean more PnL."""
    m = random_recording(directory, seed).market(model)
    wake, t = m.step(T0), T0
    while wake is not None and wake < T0 + 600 * S:
        t = wake
        wake = m.step(t)
        if (t - T0) % (20 * S) == 0:
            for order in m.exchange.orders("bot"):
                m.exchange.cancel(t, "bot", order.order_id)
            top = max((lv.price for lv in m.exchange.depth(P).bids), default=100)
            for k in (0, 1, 2):
                m.exchange.place(t, "bot", P, BUY, top - k, 1)
    fills = [(f.ts, f.price, f.volume) for f in m.exchange.tape.trades if "bot" in (f.buyer, f.seller)]
    pnl = m.exchange.settle(t, {s: 120 for s in m.exchange.products}).get("bot", {}).get(P, 0.0)
    return pnl, m.exchange.ledger.position("bot", P), fills


def test_optimistic_and_pessimistic_bound_the_queue_model(tmp_path):
    results = {model: passive_buyer_pnl(tmp_path / model, 8, model) for model in ("pessimistic", "queue", "optimistic")}
    pess, queue, opt = (results[m] for m in ("pessimistic", "queue", "optimistic"))
    assert pess[0] < queue[0] < opt[0]
    assert 0 < pess[1] < queue[1] < opt[1] < 100


def test_replay_is_deterministic(tmp_path):
    first = passive_buyer_pnl(tmp_path / "a", 11, "queue")
    second = passive_buyer_pnl(tmp_path / "b", 11, "queue")
    assert first == second and first[2]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_bounds_hold_on_other_seeds(tmp_path, seed):
    pnl = [passive_buyer_pnl(tmp_path / model, seed, model)[0] for model in ("pessimistic", "queue", "optimistic")]
    assert pnl == sorted(pnl)
