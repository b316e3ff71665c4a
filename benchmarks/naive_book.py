"""The baseline: a bare, naive price-time order book on sortedcontainers, with no events.

Per product and side a SortedDict of price -> deque of [order id, open volume]; a dict from order id to
(product, side, price, entry). Matching walks the best levels; it returns only the number of fills. This
is what "a book in Python" costs before any events, indexes per owner, validation or rules.
"""

from __future__ import annotations

from collections import deque

from sortedcontainers import SortedDict


class NaiveBook:
    def __init__(self, products) -> None:
        # bids keyed by -price so that the first key is the best on both sides
        self.sides = {p: {1: SortedDict(), -1: SortedDict()} for p in products}
        self.orders: dict[int, tuple] = {}
        self.next_id = 1

    def add(self, product: str, side: int, price: int, volume: int) -> int:
        """Match, then rest the remainder. Returns the number of fills."""
        order_id = self.next_id
        self.next_id += 1
        sides = self.sides[product]
        opposite = sides[-side]
        fills = 0
        # opposite keys: asks by price (for a buy), bids by -price (for a sell); our limit in the same terms
        limit = price if side == 1 else -price
        while volume and opposite:
            key = opposite.keys()[0]
            if key > limit:
                break
            queue = opposite[key]
            while volume and queue:
                entry = queue[0]
                qty = min(volume, entry[1])
                volume -= qty
                entry[1] -= qty
                fills += 1
                if not entry[1]:
                    queue.popleft()
                    del self.orders[entry[0]]
            if not queue:
                del opposite[key]
        if volume:
            own = sides[side]
            key = -price if side == 1 else price
            queue = own.get(key)
            if queue is None:
                queue = own[key] = deque()
            entry = [order_id, volume]
            queue.append(entry)
            self.orders[order_id] = (product, side, key, entry)
        return fills

    def cancel(self, order_id: int) -> bool:
        order = self.orders.pop(order_id, None)
        if order is None:
            return False
        product, side, key, entry = order
        book_side = self.sides[product][side]
        queue = book_side[key]
        queue.remove(entry)
        if not queue:
            del book_side[key]
        return True

    def resting_count(self) -> int:
        return len(self.orders)
