"""A market maker keeps a ladder on a grid and slides it: a move cancels only the levels that fell off."""

from __future__ import annotations

import pytest

from cmi_sim.engine import BUY, SELL, OrderAccepted, OrderCancelled
from cmi_sim.exchange import Exchange, ExchangeRules
from cmi_sim.market.context import MarketContext
from cmi_sim.market.maker import MarketMaker
from cmi_sim.market.params import MarketParams
from cmi_sim.products import Product

SECOND_NS = 10**9
SYMBOL = "TIDE_SPOT"


class SteerableFair:
    """A fair value path the test moves by hand."""

    def __init__(self, value: int) -> None:
        self.value = value

    def at(self, ts: int) -> int:
        return self.value


def make_maker(seed: str = "t", fair: int = 10_000, limit: int = 100,
               **params: int) -> tuple[MarketMaker, Exchange, SteerableFair]:
    exchange = Exchange([Product(SYMBOL, starting_price=fair)], ExchangeRules(position_limit=limit))
    path = SteerableFair(fair)
    # A 100 bps half spread at 10,000: half 100 ticks, levels 50 apart.
    settings = MarketParams(spread_bps_min=100, spread_bps_max=100, **params)
    context = MarketContext(exchange, {SYMBOL: path}, settings, (SYMBOL,))  # type: ignore[dict-item]
    return MarketMaker(context, SYMBOL, 1, seed), exchange, path


def resting(exchange: Exchange, side: int) -> dict[int, int]:
    """price -> order id of the maker's resting orders on one side."""
    book = exchange.engine.books[SYMBOL]
    levels = (book.bids if side == BUY else book.asks).levels
    return {price: order_id for price, level in levels.items() for order_id in level.orders}


def act(maker: MarketMaker, exchange: Exchange, ts: int) -> list:
    before = len(exchange.log)
    maker.act(ts)
    return exchange.log[before:]


def ladder(maker: MarketMaker, side: int) -> list[int]:
    gap = maker.half // 2 or 1
    return [maker.anchor - side * (maker.half + level * gap) for level in range(maker.depth[side])]


def test_first_quote_is_a_ladder_on_the_grid_around_the_fair_value():
    maker, exchange, _ = make_maker()
    act(maker, exchange, SECOND_NS)
    assert maker.half == 100 and maker.anchor % 50 == 0
    for side in (BUY, SELL):
        assert sorted(resting(exchange, side)) == sorted(ladder(maker, side))
        assert 1 <= maker.depth[side] <= 3


def test_an_unchanged_view_sends_nothing():
    maker, exchange, _ = make_maker()
    act(maker, exchange, SECOND_NS)
    assert act(maker, exchange, 2 * SECOND_NS) == []


@pytest.mark.parametrize("seed", ["a", "b", "c", "d"])
def test_a_move_of_one_level_cancels_and_places_only_the_ends_of_the_ladder(seed):
    maker, exchange, path = make_maker(seed, levels_max=3)
    act(maker, exchange, SECOND_NS)
    before = {side: resting(exchange, side) for side in (BUY, SELL)}
    depth, bias = dict(maker.depth), maker.bias_bps
    path.value += 50  # one level up
    events = act(maker, exchange, 2 * SECOND_NS)
    assert (maker.depth, maker.bias_bps) == (depth, bias), "this seed changed its opinion: pick another"
    after = {side: resting(exchange, side) for side in (BUY, SELL)}
    for side in (BUY, SELL):
        assert sorted(after[side]) == sorted(ladder(maker, side))
        kept = set(before[side]) & set(after[side])
        assert len(kept) == depth[side] - 1
        # The orders that stayed are the very same orders: they keep their place in the queue.
        assert all(before[side][price] == after[side][price] for price in kept)
    cancels = [e for e in events if type(e) is OrderCancelled]
    places = [e for e in events if type(e) is OrderAccepted]
    assert len(cancels) == len(places) == 2  # one level off each side's far or near end, one new
    # Cancels go first: a new bid must never meet this maker's own old ask.
    assert events.index(cancels[-1]) < events.index(places[0])


def test_a_level_taken_by_a_fill_is_replaced_alone():
    # A limit so wide that the fill barely leans the centre: the ladder stays where it is.
    maker, exchange, _ = make_maker("a", limit=1_000_000, levels_max=3)
    act(maker, exchange, SECOND_NS)
    asks = resting(exchange, SELL)
    best_ask = min(asks)
    level = exchange.engine.books[SYMBOL].asks.levels[best_ask]
    exchange.place(SECOND_NS + 1, "taker", SYMBOL, BUY, best_ask, level.volume)  # takes the whole level
    events = act(maker, exchange, 2 * SECOND_NS)
    placed = [e for e in events if type(e) is OrderAccepted]
    assert [(e.side, e.price) for e in placed] == [(SELL, best_ask)]
    assert not [e for e in events if type(e) is OrderCancelled]
    remaining = resting(exchange, SELL)
    assert all(remaining[p] == asks[p] for p in asks if p != best_ask)


def test_a_big_move_replaces_the_whole_ladder_and_stays_inside_the_limit():
    maker, exchange, path = make_maker("b")
    act(maker, exchange, SECOND_NS)
    before = {side: set(resting(exchange, side).values()) for side in (BUY, SELL)}
    path.value += 2_000
    act(maker, exchange, 2 * SECOND_NS)
    for side in (BUY, SELL):
        after = resting(exchange, side)
        assert sorted(after) == sorted(ladder(maker, side))
        assert not before[side] & set(after.values())
        assert sum(exchange.order(maker.name, i).remaining for i in after.values()) <= exchange.rules.position_limit
