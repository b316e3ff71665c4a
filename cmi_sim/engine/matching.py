"""The matching engine: price-time priority over one order book per product.

Pure: integers in (prices in ticks, volumes, nanosecond timestamps), events out. It never reads a clock,
sleeps, logs, raises for business outcomes or does I/O; the caller passes the time of every command.

Two implementations of the hot path, as the standard library does with heapq and _heapq:
`PyMatchingEngine` is the reference, in Python; `MatchingEngine` takes `submit`, `cancel`, `accepted` and
`own_volumes` from the compiled `_cmatching` when it was built at install time (about twice as fast), and
is the reference otherwise. Both share everything else (queries, reduce, rejections) and the same data,
and the tests run every engine scenario against both.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from cmi_sim.engine.book import BookSide, Depth, DepthLevel, OrderBook, OrderView
from cmi_sim.engine.events import (
    BAD_PRICE,
    BAD_SIDE,
    BAD_VOLUME,
    BUY,
    MAX_QUANTITY,
    SELL,
    UNKNOWN_ORDER,
    UNKNOWN_PRODUCT,
    CancelRejected,
    EngineEvent,
    Fill,
    OrderAccepted,
    OrderCancelled,
    OrderReduced,
    OrderRejected,
)

_new = tuple.__new__  # builds a NamedTuple without its Python-level __new__ (hot path)

SELF_TRADE_ALLOW = "allow"
SELF_TRADE_PREVENT = "prevent"  # an incoming order cancels the owner's resting orders it would hit


class _Engine:
    """Books for a fixed set of products, an index of resting orders, and one sequence of events: all
    but the hot path (`submit`, `cancel`, `accepted`, `own_volumes`), which the two engines below provide.

    `sequence` lets a caller share one sequence-number counter between the engine's events and its own.
    """

    def __init__(self, products: Iterable[str], self_trade: str = SELF_TRADE_ALLOW,
                 sequence: Iterator[int] | None = None) -> None:
        if self_trade not in (SELF_TRADE_ALLOW, SELF_TRADE_PREVENT):
            raise ValueError(f"self_trade must be 'allow' or 'prevent', got {self_trade!r}")
        self.books: dict[str, OrderBook] = {p: OrderBook(p) for p in products}
        # product -> (None, bids, asks): indexed by a side, BUY (1) gives the bids and SELL (-1) the asks,
        # so the hot paths find a side with one subscript instead of a comparison and an attribute.
        self._sides: dict[str, tuple[None, BookSide, BookSide]] = {
            p: (None, book.bids, book.asks) for p, book in self.books.items()}
        self.prevent_self_trade = self_trade == SELF_TRADE_PREVENT
        self._seq = sequence if sequence is not None else itertools.count(1)
        # A bound __next__ method: the cheapest way to draw the next number on the hot path.
        self._next_seq = self._seq.__next__
        self._orders: dict[int, OrderAccepted] = {}  # resting order id -> its fixed fields
        # owner -> their resting orders, oldest first; queries must use .get() (a miss would insert)
        self._by_owner: defaultdict[str, dict[int, OrderAccepted]] = defaultdict(dict)

    # -- commands ---------------------------------------------------------------------------------

    if TYPE_CHECKING:  # each engine below provides these (not defined here: they would shadow C's)
        def submit(self, ts: int, owner: str, product: str, side: int, price: int, volume: int) -> list[EngineEvent]: ...

        def cancel(self, ts: int, order_id: int, owner: str | None = None, reason: str = "user") -> list[EngineEvent]: ...

        def accepted(self, order_id: int) -> OrderAccepted | None: ...

        def own_volumes(self, owner: str, product: str) -> dict[tuple[int, int], int]: ...

    def reduce(self, ts: int, order_id: int, new_remaining: int, owner: str | None = None) -> list[EngineEvent]:
        """Cut a resting order's open volume to `new_remaining` (0 < new_remaining < open volume) in place:
        it keeps its place in the queue. One command instead of cancel + re-place, which would send the
        rest to the back. With `owner`, someone else's order is reported as unknown. O(1)."""
        order = self._orders.get(order_id)
        if order is None or (owner is not None and order.owner != owner):
            return [self._unknown_order(ts, order_id, owner)]
        _, _, _, order_owner, product, side, price, _ = order
        level = self._sides[product][side].levels[price]
        queue = level.orders
        remaining = queue[order_id]
        if type(new_remaining) is not int or not 0 < new_remaining < remaining:
            return [_new(CancelRejected, (self._next_seq(), ts, order_id, owner or "", BAD_VOLUME,
                                          f"a reduce must leave between 1 and {remaining - 1} open "
                                          f"(the order has {remaining}), got {new_remaining!r}"))]
        queue[order_id] = new_remaining  # same key: the dict keeps its position, so FIFO is unchanged
        level.volume -= remaining - new_remaining
        return [_new(OrderReduced, (self._next_seq(), ts, order_id, order_owner, product, side, price,
                                    remaining - new_remaining, new_remaining))]

    def cancel_at_price(self, ts: int, owner: str, product: str, price: int) -> list[EngineEvent]:
        """Cancel all of `owner`'s resting orders in `product` at `price`, oldest first."""
        mine = self._by_owner.get(owner, {})
        targets = [o.order_id for o in mine.values() if o.product == product and o.price == price]
        events: list[EngineEvent] = []
        for order_id in targets:
            events.extend(self.cancel(ts, order_id, owner))
        return events

    # -- queries ----------------------------------------------------------------------------------

    def resting_order_ids(self) -> list[int]:
        """Ids of every resting order, oldest first."""
        return sorted(self._orders)

    def order(self, order_id: int) -> OrderView | None:
        """The resting order with this id, or None once it is filled or cancelled."""
        accepted = self._orders.get(order_id)
        return self._view(accepted) if accepted is not None else None

    def orders_of(self, owner: str, product: str | None = None) -> list[OrderView]:
        """`owner`'s resting orders, oldest first."""
        mine = self._by_owner.get(owner, {})
        return [self._view(o) for o in mine.values() if product is None or o.product == product]

    def resting_volume(self, owner: str, product: str, side: int) -> int:
        """Open volume of `owner`'s resting orders on one side of one product."""
        mine = self._by_owner.get(owner)
        if not mine:
            return 0
        return sum(self._remaining(o) for o in mine.values() if o.product == product and o.side == side)

    def depth(self, product: str, owner: str | None = None) -> Depth:
        """Aggregated levels of one product, best first, with `owner`'s share of each level."""
        book = self.books[product]
        own = self.own_volumes(owner, product) if owner is not None else {}
        if not own:  # the common case for views: skip the per-level look-ups
            return Depth(product,
                         [_new(DepthLevel, (lv.price, lv.volume, 0)) for lv in book.bids.sorted_levels()],
                         [_new(DepthLevel, (lv.price, lv.volume, 0)) for lv in book.asks.sorted_levels()])
        return Depth(
            product,
            [_new(DepthLevel, (lv.price, lv.volume, own.get((BUY, lv.price), 0))) for lv in book.bids.sorted_levels()],
            [_new(DepthLevel, (lv.price, lv.volume, own.get((SELL, lv.price), 0))) for lv in book.asks.sorted_levels()],
        )

    def best_prices(self, product: str) -> tuple[int | None, int | None]:
        book = self.books[product]
        return book.best_bid(), book.best_ask()

    def _check(self) -> None:
        """Assert every invariant of every book and of the order indexes (for tests)."""
        in_books: set[int] = set()
        for book in self.books.values():
            book._check()
            for book_side in (book.bids, book.asks):
                for level in book_side.levels.values():
                    in_books.update(level.orders)
                    for order_id in level.orders:
                        order = self._orders[order_id]
                        assert (order.product, order.side, order.price) == (book.product, book_side.side,
                                                                            level.price), "misfiled order"
        assert in_books == self._orders.keys(), "order index differs from the books"
        by_owner = {oid: o for orders in self._by_owner.values() for oid, o in orders.items()}
        assert by_owner.keys() == self._orders.keys(), "owner index differs from the books"
        for owner, orders in self._by_owner.items():
            assert all(o.owner == owner for o in orders.values())

    # -- internals --------------------------------------------------------------------------------

    def _remaining(self, order: OrderAccepted) -> int:
        """What is still open of a resting order: its level holds that."""
        _, _, order_id, _, product, side, price, _ = order
        return self._sides[product][side].levels[price].orders[order_id]

    def _view(self, order: OrderAccepted) -> OrderView:
        _, ts, order_id, owner, product, side, price, volume = order
        return _new(OrderView, (order_id, owner, product, side, price, volume, self._remaining(order), ts))

    def _unknown_order(self, ts: int, order_id: int, owner: str | None) -> CancelRejected:
        return _new(CancelRejected, (self._next_seq(), ts, order_id, owner or "", UNKNOWN_ORDER, "no such open order"))

    def _rejection(self, ts: int, owner: str, product: str, side: int, price: int, volume: int) -> OrderRejected:
        if product not in self.books:
            reason, detail = UNKNOWN_PRODUCT, f"unknown product {product!r}"
        elif type(side) is not int or side not in (BUY, SELL):
            reason, detail = BAD_SIDE, f"side must be BUY or SELL, got {side!r}"
        elif type(price) is not int or not 0 < price <= MAX_QUANTITY:
            reason, detail = BAD_PRICE, f"price must be a whole number of ticks from 1 to {MAX_QUANTITY}, got {price!r}"
        else:
            reason, detail = BAD_VOLUME, f"volume must be an integer from 1 to {MAX_QUANTITY}, got {volume!r}"
        return _new(OrderRejected, (self._next_seq(), ts, owner, product, side, price, volume, reason, detail))


class PyMatchingEngine(_Engine):
    """The engine in Python: the reference for the compiled hot path."""

    def __init__(self, products: Iterable[str], self_trade: str = SELF_TRADE_ALLOW,
                 sequence: Iterator[int] | None = None) -> None:
        super().__init__(products, self_trade, sequence)
        self._next_id = itertools.count(1).__next__

    def accepted(self, order_id: int) -> OrderAccepted | None:
        """The acceptance event of a resting order (its fixed fields), or None. O(1)."""
        return self._orders.get(order_id)

    def own_volumes(self, owner: str, product: str) -> dict[tuple[int, int], int]:
        """`owner`'s open volume in `product` per (side, price). O(owner's resting orders)."""
        own: dict[tuple[int, int], int] = {}
        mine = self._by_owner.get(owner)
        if mine:
            sides = self._sides[product]
            for order in mine.values():
                if order.product == product:
                    side = order.side
                    key = (side, order.price)
                    own[key] = own.get(key, 0) + sides[side].levels[order.price].orders[order.order_id]
        return own

    def submit(self, ts: int, owner: str, product: str, side: int, price: int, volume: int) -> list[EngineEvent]:
        """Enter a GTC limit order: match it against the best opposite prices, FIFO within a level, at the
        resting orders' prices; the remainder rests. Returns [OrderAccepted, Fill..., (self-trade
        cancels)] or [OrderRejected]. O(log L + fills)."""
        sides = self._sides.get(product)
        if sides is None or type(price) is not int or type(volume) is not int or type(side) is not int \
                or not 0 < price <= MAX_QUANTITY or not 0 < volume <= MAX_QUANTITY or (side != 1 and side != -1):
            return [self._rejection(ts, owner, product, side, price, volume)]
        order_id = self._next_id()
        accepted = _new(OrderAccepted, (self._next_seq(), ts, order_id, owner, product, side, price, volume))
        events: list[EngineEvent] = [accepted]
        opposite = sides[-side]
        keys = opposite.keys
        # The opposite side's keys are price * its sign, and its sign is this order's side.
        if keys and keys[0] <= price * side:
            volume = self._match(ts, accepted, opposite, events)
            if not volume:
                return events
        # Rest the remainder: its static fields live in the accepted event, its open volume in the level.
        own_side = sides[side]
        level = own_side.levels.get(price)
        if level is None:
            level = own_side.add_level(price)
        level.orders[order_id] = volume
        level.volume += volume
        self._orders[order_id] = accepted
        self._by_owner[owner][order_id] = accepted
        return events

    def _match(self, ts: int, taker: OrderAccepted, opposite: BookSide, events: list[EngineEvent]) -> int:
        """Fill `taker` against `opposite` as far as its limit allows; returns the volume left."""
        next_seq = self._next_seq
        _, _, taker_id, owner, product, side, price, remaining = taker
        levels, keys = opposite.levels, opposite.keys
        limit_key = price * side
        orders = self._orders
        by_owner = self._by_owner
        prevent = self.prevent_self_trade
        while keys:
            key = keys[0]
            if key > limit_key:
                break
            level = levels[key * side]
            level_price = level.price
            queue = level.orders
            while queue:
                maker_id, maker_remaining = next(iter(queue.items()))  # time priority: oldest first
                maker_owner = orders[maker_id][3]
                if prevent and maker_owner == owner:
                    del queue[maker_id]
                    level.volume -= maker_remaining
                    del orders[maker_id]
                    del by_owner[owner][maker_id]
                    events.append(_new(OrderCancelled, (next_seq(), ts, maker_id, owner, product, -side,
                                                        level_price, maker_remaining, "self_trade")))
                    continue
                qty = remaining if remaining < maker_remaining else maker_remaining
                maker_remaining -= qty
                level.volume -= qty
                remaining -= qty
                events.append(_new(Fill, (next_seq(), ts, product, level_price, qty, taker_id, owner, maker_id,
                                          maker_owner, side, maker_remaining)))
                if maker_remaining:
                    queue[maker_id] = maker_remaining
                else:
                    del queue[maker_id]
                    del orders[maker_id]
                    del by_owner[maker_owner][maker_id]
                if not remaining:
                    break
            if not queue:
                del levels[level_price]
                del keys[0]
            if not remaining:
                break
        return remaining

    def cancel(self, ts: int, order_id: int, owner: str | None = None, reason: str = "user") -> list[EngineEvent]:
        """Cancel a resting order by id. With `owner`, someone else's order is reported as unknown, so
        callers never learn about other owners' orders. O(1) amortised."""
        order = self._orders.get(order_id)
        if order is None:
            return [self._unknown_order(ts, order_id, owner)]
        _, _, _, order_owner, product, side, price, _ = order
        if owner is not None and order_owner != owner:
            return [self._unknown_order(ts, order_id, owner)]
        book_side = self._sides[product][side]
        level = book_side.levels[price]
        queue = level.orders
        remaining = queue.pop(order_id)
        level.volume -= remaining
        del self._orders[order_id]
        del self._by_owner[order_owner][order_id]
        if not queue:
            book_side.drop_level(price)
        return [_new(OrderCancelled, (self._next_seq(), ts, order_id, order_owner, product, side, price,
                                      remaining, reason))]


try:
    from cmi_sim.engine import _cmatching
except ImportError:  # built without a C compiler: the reference is the engine
    MatchingEngine: type[_Engine] = PyMatchingEngine
    COMPILED = False
else:
    _cmatching.configure(OrderAccepted, Fill, OrderCancelled, CancelRejected)

    class MatchingEngine(_Engine, _cmatching.EngineCore):  # type: ignore[no-redef]
        """The engine, with `submit`, `cancel`, `accepted` and `own_volumes` compiled: they behave exactly
        like PyMatchingEngine's."""

    COMPILED = True
