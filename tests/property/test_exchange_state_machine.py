"""A Hypothesis state machine over the exchange: adds, crossing orders and cancels (including other
owners' and already-gone ids) across several accounts and products, with every invariant checked after
every step.

On the position limit: by default (`limit_counts_resting=True`, as the real exchange held it) an order
counts the caller's resting same-side volume as exposure, so "|position| <= limit" is an invariant,
asserted after every step. With `limit_counts_resting=False` only `abs(position +- volume) <= limit` is
checked on arrival: an order that rests and is filled later can then carry its owner past the limit (buy
60 and rest, buy 60 more and rest, both fill: position 120); that machine checks that every accepted order
satisfied the entry rule and every POSITION_LIMIT rejection broke it. Under both, an order that takes the
position towards zero is never refused for the limit.
"""

from __future__ import annotations

from collections import Counter

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, multiple, rule

from cmi_sim.engine import BUY, SELL, Fill, MatchingEngine, OrderAccepted, OrderCancelled
from cmi_sim.engine.matching import PyMatchingEngine
from cmi_sim.exchange import POSITION_LIMIT, Exchange, ExchangeRules
from cmi_sim.products import Product

OWNERS = ("a", "b", "c", "d")
PRODUCTS = (Product("P", starting_price=100), Product("Q", starting_price=200), Product("R", starting_price=50))
MIDS = {p.symbol: p.starting_price for p in PRODUCTS}
LIMIT = 15  # small against volumes up to 8, so the limit binds often

owners = st.sampled_from(OWNERS)
products = st.sampled_from(tuple(MIDS))
sides = st.sampled_from((BUY, SELL))
volumes = st.integers(min_value=1, max_value=8)


class ExchangeMachine(RuleBasedStateMachine):
    rules_under_test = ExchangeRules(position_limit=LIMIT, limit_counts_resting=False)
    hard_limit = False  # whether |position| <= limit must hold after every step
    engine_class: type = MatchingEngine  # the compiled engine when built; subclasses run the Python one

    orders = Bundle("orders")

    def __init__(self) -> None:
        super().__init__()
        self.ex = Exchange(PRODUCTS, self.rules_under_test)
        if type(self.ex.engine) is not self.engine_class:  # before any command: swap the implementation
            self.ex.engine = self.engine_class(self.ex.products, self.ex.rules.self_trade, self.ex._seq)
        self.ts = 0
        self.seen = 0  # events of ex.log already checked
        self.accepted: dict[int, OrderAccepted] = {}
        self.done: Counter[int] = Counter()  # volume filled or cancelled per order id
        self.fills = 0

    # -- rules ------------------------------------------------------------------------------------

    def _place(self, owner: str, product: str, side: int, price: int, volume: int):
        self.ts += 1
        position = self.ex.ledger.position(owner, product)
        resting = self.ex.engine.resting_volume(owner, product, side)
        exposure = volume + (resting if self.ex.rules.limit_counts_resting else 0)
        after = position + side * exposure
        within = abs(after) <= LIMIT or abs(after) <= abs(position)  # reducing exposure always passes
        result = self.ex.place(self.ts, owner, product, side, price, volume)
        if result.accepted is None:
            assert result.rejection.reason == POSITION_LIMIT, result.rejection
            assert not within, "rejected an order that satisfied the limit rule"
            return multiple()
        assert within, "accepted an order that broke the limit rule at entry"
        assert result.filled == sum(t.volume for t in result.trades)
        return result.accepted.order_id

    @rule(target=orders, owner=owners, product=products, side=sides, offset=st.integers(-3, 8), volume=volumes)
    def add(self, owner, product, side, offset, volume):
        """A limit order near the mid; a negative offset reaches across it."""
        return self._place(owner, product, side, MIDS[product] - side * offset, volume)

    @rule(target=orders, owner=owners, product=products, side=sides, volume=volumes)
    def cross(self, owner, product, side, volume):
        """An aggressive order that takes whatever the limit lets it reach."""
        return self._place(owner, product, side, MIDS[product] + side * 12, volume)

    @rule(owner=owners, order_id=orders)
    def cancel(self, owner, order_id):
        self.ts += 1
        view = self.ex.engine.order(order_id)
        result = self.ex.cancel(self.ts, owner, order_id)
        mine = view is not None and view.owner == owner
        assert (type(result.events[0]) is OrderCancelled) == mine
        assert self.ex.engine.order(order_id) is None if mine else self.ex.engine.order(order_id) == view

    @rule(owner=owners, order_id=st.integers(min_value=1, max_value=400))
    def cancel_any_id(self, owner, order_id):
        self.ts += 1
        view = self.ex.engine.order(order_id)
        self.ex.cancel(self.ts, owner, order_id)
        if view is not None and view.owner != owner:
            assert self.ex.engine.order(order_id) == view

    @rule(owner=owners, product=products, offset=st.integers(-8, 8))
    def cancel_at_price(self, owner, product, offset):
        self.ts += 1
        price = MIDS[product] + offset
        others = [o for o in self.ex.engine.resting_order_ids() if self.ex.engine.order(o).owner != owner]
        result = self.ex.cancel_at_price(self.ts, owner, product, price)
        assert all(o.owner == owner and o.price == price and o.product == product for o in result.orders)
        assert not [o for o in self.ex.orders(owner, product) if o.price == price]
        assert [o for o in self.ex.engine.resting_order_ids()
                if self.ex.engine.order(o).owner != owner] == others

    # -- invariants -------------------------------------------------------------------------------

    @invariant()
    def books_are_sound(self):
        """Not crossed; each level's volume is the sum of its orders; FIFO within levels; indexes agree."""
        self.ex.engine._check()

    @invariant()
    def events_are_consistent(self):
        """Every fill joins one buy order and one sell order; every order's volume is conserved."""
        log = self.ex.log
        for event in log[self.seen:]:
            kind = type(event)
            if kind is OrderAccepted:
                self.accepted[event.order_id] = event
            elif kind is Fill:
                taker, maker = self.accepted[event.taker_order_id], self.accepted[event.maker_order_id]
                assert taker.order_id != maker.order_id
                assert taker.side == event.taker_side and maker.side == -event.taker_side
                assert (taker.owner, maker.owner) == (event.taker, event.maker)
                assert taker.product == maker.product == event.product
                assert event.price == maker.price  # execution at the resting order's price
                assert (event.price - taker.price) * taker.side <= 0  # within the taker's limit
                self.done[taker.order_id] += event.volume
                self.done[maker.order_id] += event.volume
                self.fills += 1
            elif kind is OrderCancelled:
                self.done[event.order_id] += event.volume
        self.seen = len(log)
        for order_id, accepted in self.accepted.items():
            view = self.ex.engine.order(order_id)
            open_volume = view.remaining if view is not None else 0
            assert self.done[order_id] + open_volume == accepted.volume, order_id
        assert self.fills == len(self.ex.tape)

    @invariant()
    def positions_and_cash_net_to_zero(self):
        ledger = self.ex.ledger
        for product in MIDS:
            assert sum(p.get(product, 0) for p in ledger.positions.values()) == 0
            assert sum(c.get(product, 0) for c in ledger.cash.values()) == 0

    @invariant()
    def tape_replays_to_the_ledger(self):
        positions: dict[str, Counter] = {}
        cash: dict[str, Counter] = {}
        times = [t.ts for t in self.ex.tape.trades]
        assert all(a < b for a, b in zip(times, times[1:])), "tape not strictly increasing"
        for trade in self.ex.tape.trades:
            assert trade.volume > 0
            for account, sign in ((trade.buyer, 1), (trade.seller, -1)):
                positions.setdefault(account, Counter())[trade.product] += sign * trade.volume
                cash.setdefault(account, Counter())[trade.product] -= sign * trade.volume * trade.price
        assert {a: dict(p) for a, p in positions.items()} == self.ex.ledger.positions
        assert {a: dict(c) for a, c in cash.items()} == self.ex.ledger.cash

    @invariant()
    def resting_volumes_match_the_books(self):
        """The exchange's running sums of resting volume (what the limit counts) equal the engine's orders."""
        for owner in OWNERS:
            for product in MIDS:
                for side in (BUY, SELL):
                    assert self.ex.resting.volume(owner, product, side) == \
                        self.ex.engine.resting_volume(owner, product, side), (owner, product, side)

    @invariant()
    def positions_within_limit(self):
        if self.hard_limit:
            for account_positions in self.ex.ledger.positions.values():
                assert all(abs(p) <= LIMIT for p in account_positions.values()), account_positions


class RestingLimitMachine(ExchangeMachine):
    rules_under_test = ExchangeRules(position_limit=LIMIT, limit_counts_resting=True)
    hard_limit = True


class RestingLimitSelfTradePreventionMachine(ExchangeMachine):
    rules_under_test = ExchangeRules(position_limit=LIMIT, limit_counts_resting=True, self_trade="prevent")
    hard_limit = True


class PythonEngineMachine(ExchangeMachine):
    engine_class = PyMatchingEngine


class PythonEngineRestingLimitSelfTradePreventionMachine(RestingLimitSelfTradePreventionMachine):
    engine_class = PyMatchingEngine


def test_default_rules_hold_the_limit_through_resting_fills():
    """The default counts resting volume: the second resting buy that could pass the limit is refused."""
    ex = Exchange(PRODUCTS, ExchangeRules(position_limit=LIMIT))
    assert ex.place(1, "a", "P", BUY, 100, 10).accepted
    assert ex.place(2, "a", "P", BUY, 100, 10).rejection.reason == POSITION_LIMIT


def test_position_only_rules_can_exceed_limit_through_resting_fills():
    """Why the hard bound needs `limit_counts_resting`: two resting buys that each pass the entry rule."""
    ex = Exchange(PRODUCTS, ExchangeRules(position_limit=LIMIT, limit_counts_resting=False))
    assert ex.place(1, "a", "P", BUY, 100, 10).accepted
    assert ex.place(2, "a", "P", BUY, 100, 10).accepted
    ex.place(3, "b", "P", SELL, 100, 10)
    ex.place(4, "c", "P", SELL, 100, 10)
    assert ex.positions("a") == {"P": 20}


_SETTINGS = settings(max_examples=60, stateful_step_count=40, derandomize=True, deadline=None,
                     suppress_health_check=[HealthCheck.too_slow])

TestDefaultRules = ExchangeMachine.TestCase
TestLimitCountsResting = RestingLimitMachine.TestCase
TestLimitCountsRestingWithSelfTradePrevention = RestingLimitSelfTradePreventionMachine.TestCase
TestDefaultRulesOnPythonEngine = PythonEngineMachine.TestCase
TestSelfTradePreventionOnPythonEngine = PythonEngineRestingLimitSelfTradePreventionMachine.TestCase
for _case in (TestDefaultRules, TestLimitCountsResting, TestLimitCountsRestingWithSelfTradePrevention,
              TestDefaultRulesOnPythonEngine, TestSelfTradePreventionOnPythonEngine):
    _case.settings = _SETTINGS
