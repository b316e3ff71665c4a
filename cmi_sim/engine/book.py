"""One product's order book: price levels per side, FIFO queues within a level.

A side keeps its levels in a dict keyed by integer price, and a heap of level keys for the best price.
Emptied levels leave stale heap entries that are dropped lazily when they reach the top, so adding and
removing a level cost O(log L) in C code instead of a sorted-list update in Python. Within a level the
orders are a dict from order id to open volume: insertion order is time priority, and removal by id is
O(1). An order's fixed fields (owner, side, price...) live once, in its `OrderAccepted` event.
"""

from __future__ import annotations

from heapq import heapify, heappop
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


class Level:
    """All resting orders at one price on one side, in time priority."""

    __slots__ = ("price", "volume", "orders")

    def __init__(self, price: int) -> None:
        self.price = price
        self.volume = 0
        self.orders: dict[int, int] = {}  # order id -> open volume, oldest first


class DepthLevel(NamedTuple):
    price: int
    volume: int
    owner_volume: int


class Depth(NamedTuple):
    """Aggregated book of one product, best price first on each side."""

    product: str
    bids: list[DepthLevel]
    asks: list[DepthLevel]


class BookSide:
    """The levels of one side. A level's heap key is `price * sign`, so the best level has the smallest key:
    asks use sign +1 (lowest price first), bids sign -1 (highest price first)."""

    __slots__ = ("side", "sign", "levels", "heap")

    def __init__(self, side: int) -> None:
        self.side = side
        self.sign = -1 if side == BUY else 1
        self.levels: dict[int, Level] = {}
        self.heap: list[int] = []

    def best_price(self) -> int | None:
        """The best price with resting volume, or None. Amortised O(1)."""
        heap, levels, sign = self.heap, self.levels, self.sign
        while heap:
            price = heap[0] * sign
            if price in levels:
                return price
            heappop(heap)
        return None

    def compact(self) -> None:
        """Rebuild the heap from live levels; called when stale entries outnumber live ones."""
        sign = self.sign
        self.heap = [price * sign for price in self.levels]
        heapify(self.heap)

    def sorted_levels(self) -> list[Level]:
        """Levels best first. O(L log L); used for depth views, not for matching."""
        levels = self.levels
        return [levels[price] for price in sorted(levels, reverse=self.sign < 0)]


class OrderBook:
    """The book of one product."""

    __slots__ = ("product", "bids", "asks")

    def __init__(self, product: str) -> None:
        self.product = product
        self.bids = BookSide(BUY)
        self.asks = BookSide(-BUY)

    def side(self, side: int) -> BookSide:
        return self.bids if side == BUY else self.asks

    def best_bid(self) -> int | None:
        return self.bids.best_price()

    def best_ask(self) -> int | None:
        return self.asks.best_price()

    def _check(self) -> None:
        """Assert every structural invariant of this book (for tests)."""
        for book_side in (self.bids, self.asks):
            live_keys = {price * book_side.sign for price in book_side.levels}
            assert live_keys <= set(book_side.heap), f"{self.product}: a level is missing from the heap"
            for price, level in book_side.levels.items():
                assert level.price == price
                assert level.orders, f"{self.product}: empty level {price} kept"
                assert level.volume == sum(level.orders.values()), f"{self.product}: level volume at {price}"
                ids = list(level.orders)
                assert ids == sorted(ids), f"{self.product}: FIFO broken at {price}"
                assert all(remaining > 0 for remaining in level.orders.values())
        bid, ask = self.best_bid(), self.best_ask()
        assert bid is None or ask is None or bid < ask, f"{self.product}: crossed book {bid} >= {ask}"
