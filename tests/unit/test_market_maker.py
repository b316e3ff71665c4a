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

    def sigma(self, ts: int) -> float:
        return 0.0


def make_maker(seed: str = "t", fair: int = 10_000, limit: int = 100,
               **params: int) -> tuple[MarketMaker, Exchange, SteerableFair]:
    exchange = Exchange([Product(SYMBOL, starting_price=fair)], ExchangeRules(position_limit=limit))
    path = SteerableFair(fair)
    # A half spread of 100 ticks, levels 50 apart; the maker sees the fair value at once on every wake
    # and fills teach it nothing (unless a test says otherwise), so only the test moves its view.
    defaults = {"view_lag_max_s": 0, "view_refresh_min_s": 0, "view_refresh_max_s": 0, "fill_lesson_percent": 0}
    settings = MarketParams(half_spread_ticks={SYMBOL: [100, 100]}, **(defaults | params))
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
    depth, opinion = dict(maker.depth), maker.opinion
    path.value += 50  # one level up
    events = act(maker, exchange, 2 * SECOND_NS)
    assert (maker.depth, maker.opinion) == (depth, opinion), "this seed changed its opinion: pick another"
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


class StepFair:
    """A fair value that steps from `before` to `after` at `step_ns`, with an uncertainty of `sigma`."""

    def __init__(self, before: int, after: int, step_ns: int, sigma: float = 0.0) -> None:
        self.before, self.after, self.step_ns, self.sig = before, after, step_ns, sigma

    def at(self, ts: int) -> int:
        return self.after if ts >= self.step_ns else self.before

    def sigma(self, ts: int) -> float:
        return self.sig


def maker_on(path, product: str = SYMBOL, products: tuple[str, ...] = (SYMBOL,), seed: str = "v",
             **params: int) -> tuple[MarketMaker, Exchange]:
    exchange = Exchange([Product(p, starting_price=1000) for p in products], ExchangeRules(position_limit=100))
    settings = MarketParams(**params)
    fair = {p: path if p == product else StepFair(1000, 1000, 0) for p in products}
    context = MarketContext(exchange, fair, settings, products)  # type: ignore[arg-type]
    return MarketMaker(context, product, 1, seed), exchange


def test_a_lagged_maker_sees_a_release_only_after_its_lag():
    path = StepFair(1000, 1100, step_ns=100 * SECOND_NS)
    maker, _ = maker_on(path, view_lag_min_s=30, view_lag_max_s=30, view_refresh_min_s=0, view_refresh_max_s=0,
                        view_noise_permille=0)
    assert maker.view(110 * SECOND_NS) == 1000  # the data came out 10 s ago: not seen yet
    assert maker.view(131 * SECOND_NS) == 1100


def test_a_maker_holds_its_view_between_looks():
    path = StepFair(1000, 1100, step_ns=50 * SECOND_NS)
    maker, _ = maker_on(path, view_lag_max_s=0, view_refresh_min_s=100, view_refresh_max_s=100,
                        view_noise_permille=0)
    assert maker.view(10 * SECOND_NS) == 1000
    assert maker.view(60 * SECOND_NS) == 1000  # released, but it looks again only at 110 s
    assert maker.view(110 * SECOND_NS) == 1100


def test_opinions_scale_with_the_uncertainty_and_vanish_with_it():
    views = {}
    for sigma in (0.0, 400.0):
        path = StepFair(1000, 1000, 0, sigma=sigma)
        spread = set()
        for seed in "abcdefgh":
            maker, _ = maker_on(path, seed=seed, view_lag_max_s=0, view_noise_permille=100)
            spread.add(maker.view(SECOND_NS))
        views[sigma] = spread
    assert views[0.0] == {1000}
    assert len(views[400.0]) > 4 and max(abs(v - 1000) for v in views[400.0]) <= 6 * 40


def test_a_lifted_ask_teaches_the_maker_higher():
    path = StepFair(10_000, 10_000, 0)
    maker, exchange = maker_on(path, view_lag_max_s=0, view_refresh_min_s=1000, view_refresh_max_s=1000,
                               view_noise_permille=0, half_spread_ticks={SYMBOL: [10, 10]}, levels_max=1)
    maker.act(SECOND_NS)
    before = maker.view(SECOND_NS)
    best_ask = min(resting(exchange, SELL))
    volume = exchange.engine.books[SYMBOL].asks.levels[best_ask].volume
    exchange.place(SECOND_NS + 1, "taker", SYMBOL, BUY, best_ask, volume)
    maker.act(2 * SECOND_NS)
    # A half spread higher, or half that if a new opinion made it look at the data again at once.
    assert maker.view(2 * SECOND_NS) - before in (10, 5)
    assert min(resting(exchange, SELL)) > best_ask


def test_etf_makers_price_off_the_basket_books():
    products = ("TIDE_SPOT", "WX_SPOT", "LHR_COUNT", "LON_ETF")
    path = StepFair(9000, 9000, 0)  # the ETF's own estimate, far from the books' basket
    maker, exchange = maker_on(path, product="LON_ETF", products=products, view_lag_max_s=0,
                               view_noise_permille=0, etf_basket_weight_percent=100)
    for product, mid in (("TIDE_SPOT", 3000), ("WX_SPOT", 4600), ("LHR_COUNT", 1200)):
        exchange.place(0, "other", product, BUY, mid - 1, 1)
        exchange.place(0, "other", product, SELL, mid + 1, 1)
    assert maker.view(SECOND_NS) == 8800
