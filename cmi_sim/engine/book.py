"""One product's order book: price levels per side, FIFO queues within a level.

A side keeps its levels in a dict keyed by integer price, and a sorted list of level keys, best first:
the best price is its first item, a depth view walks it without sorting, and adding or removing a level
is a bisect plus a C memmove (books are thin: tens of levels, not millions). Within a level the
orders are a dict from order id to open volume: insertion order is time priority, and removal by id is
O(1). An order's fixed fields (owner, side, price...) live once, in its `OrderAccepted` event.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from typing import NamedTuple

from cmi_sim.engine.events import BUY


class OrderView(NamedTuple):
    """An immutable snapshot of a resting order. `volume` is the original size, `remaining` what is open."""

    order_id: int
    owner: str
    product: str
    side: int
    price: int
    volume: int
    remaining: int
    ts: int

    @property
    def filled(self) -> int:
        return self.volume - self.remaining


class DepthLevel(NamedTuple):
    price: int
    volume: int
    owner_volume: int


class Depth(NamedTuple):
    """Aggregated book of one product, best price first on each side."""

    product: str
    bids: list[DepthLevel]
    asks: list[DepthLevel]


try:  # the compiled layouts, which the compiled engine reads field by field
    from cmi_sim.engine._cmatching import BookSideCore as _BookSideLayout
    from cmi_sim.engine._cmatching import Level
except ImportError:  # no compiler at install time: the same layouts in Python

    class Level:  # type: ignore[no-redef]
        """All resting orders at one price on one side, in time priority."""

        __slots__ = ("price", "volume", "orders")

        def __init__(self, price: int) -> None:
            self.price = price
            self.volume = 0
            self.orders: dict[int, int] = {}  # order id -> open volume, oldest first

    class _BookSideLayout:  # type: ignore[no-redef]
        __slots__ = ("side", "sign", "levels", "keys")

        def __init__(self, side: int) -> None:
            self.side = side
            self.sign = -1 if side == BUY else 1
            self.levels: dict[int, Level] = {}
            self.keys: list[int] = []


class BookSide(_BookSideLayout):
    """The levels of one side. A level's key is `price * sign`, so the best level has the smallest key:
    asks use sign +1 (lowest price first), bids sign -1 (highest price first). `keys` holds the keys of
    the live levels in ascending order: best first. Fields: `side`, `sign`, `levels` (price -> Level)
    and `keys`."""

    __slots__ = ()

    def best_price(self) -> int | None:
        """The best price with resting volume, or None. O(1)."""
        return self.keys[0] * self.sign if self.keys else None

    def add_level(self, price: int) -> Level:
        """A new, empty level at `price`. O(log L) search plus an O(L) memmove."""
        level = self.levels[price] = Level(price)
        insort(self.keys, price * self.sign)
        return level

    def drop_level(self, price: int) -> None:
        """Forget the (emptied) level at `price`."""
        del self.levels[price]
        keys = self.keys
        del keys[bisect_left(keys, price * self.sign)]

    def sorted_levels(self) -> list[Level]:
        """Levels best first. O(L); used for depth views, not for matching."""
        levels, sign = self.levels, self.sign
        return [levels[key * sign] for key in self.keys]


class OrderBook:
    """The book of one product."""

    __slots__ = ("product", "bids", "asks")

    def __init__(self, product: str) -> None:
        self.product = product
        self.bids = BookSide(BUY)
        self.asks = BookSide(-BUY)

    def best_bid(self) -> int | None:
        return self.bids.best_price()

    def best_ask(self) -> int | None:
        return self.asks.best_price()

    def _check(self) -> None:
        """Assert every structural invariant of this book (for tests)."""
        for book_side in (self.bids, self.asks):
            live_keys = sorted(price * book_side.sign for price in book_side.levels)
            assert book_side.keys == live_keys, f"{self.product}: the sorted keys differ from the levels"
            for price, level in book_side.levels.items():
                assert level.price == price
                assert level.orders, f"{self.product}: empty level {price} kept"
                assert level.volume == sum(level.orders.values()), f"{self.product}: level volume at {price}"
                ids = list(level.orders)
                assert ids == sorted(ids), f"{self.product}: FIFO broken at {price}"
                assert all(remaining > 0 for remaining in level.orders.values())
        bid, ask = self.best_bid(), self.best_ask()
        assert bid is None or ask is None or bid < ask, f"{self.product}: crossed book {bid} >= {ask}"
