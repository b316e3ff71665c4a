"""Market makers: a few levels each side around their own view of the fair value, re-quoted every few
seconds by cancel and replace.

A maker re-quotes a side only when it needs to (its centre moved by more than a quarter of its spread, or
the side lost a level to a fill), so a quiet book costs a few look-ups, not a storm of events. Its centre
leans against its inventory, which keeps it well inside the position limit.
"""

from __future__ import annotations

from cmi_sim.engine import BUY, SELL
from cmi_sim.market.context import MarketContext
from cmi_sim.market.randomness import agent_rng, normal

MS_NS = 1_000_000


class MarketMaker:
    def __init__(self, context: MarketContext, product: str, index: int, seed: str) -> None:
        self.name = f"mm-{product}-{index}"
        self.context = context
        self.product = product
        self.path = context.fair[product]
        self.rng = agent_rng(seed, self.name)
        params = context.params
        self.spread_bps = self.rng.randint(params.spread_bps_min, params.spread_bps_max)
        self.bias_bps = 0.0  # this maker's private opinion of the fair value, changed now and then
        self.anchor: int | None = None  # the centre the resting quotes were built around
        self.quotes: dict[int, list[int]] = {BUY: [], SELL: []}  # resting order ids per side
        self.levels = {BUY: 0, SELL: 0}  # levels placed on each side at its last quote
        self.wait_min_ms = params.requote_min_s * 1000
        self.wait_span_ms = (params.requote_max_s - params.requote_min_s) * 1000 + 1

    def act(self, now_ns: int) -> int:
        context, rng = self.context, self.rng
        if rng.random() < 0.02:
            self.bias_bps = normal(rng) * self.spread_bps / 2
        fair = self.path.at(now_ns)
        half = fair * self.spread_bps // 10_000 or 1
        position = context.exchange.ledger.position(self.name, self.product)
        # Lean against inventory: a full position shifts the centre by two half spreads.
        centre = fair + round(fair * self.bias_bps / 10_000) - position * 2 * half // context.limit
        moved = self.anchor is None or abs(centre - self.anchor) > (half // 4 or 1)
        if moved:
            self.anchor = centre
        live = context.resting
        sides = []
        for side in (BUY, SELL):
            quotes = self.quotes[side]
            if moved or len(quotes) < self.levels[side] or any(i not in live for i in quotes):
                sides.append(side)
        # Cancel before placing: after a big move a new bid could otherwise meet this maker's own old ask.
        for side in sides:
            for order_id in self.quotes[side]:
                context.cancel(now_ns, self.name, order_id)
        for side in sides:
            self._quote(now_ns, side, self.anchor, half)
        return now_ns + (self.wait_min_ms + int(rng.random() * self.wait_span_ms)) * MS_NS

    def _quote(self, now_ns: int, side: int, centre: int, half: int) -> None:
        context, rng, params = self.context, self.rng, self.context.params
        room = context.room(self.name, self.product, side)
        gap = half // 2 or 1
        quotes: list[int] = []
        placed = 0
        for level in range(rng.randint(1, params.levels_max)):
            price = centre - side * (half + level * gap)
            if price < 1 or room <= 0:
                break
            if rng.randrange(100) < params.big_size_percent:
                size = rng.randint(params.big_size_min, params.big_size_max)
            else:
                size = rng.randint(1, params.size_max)
            size = min(size, room)
            result = context.place(now_ns, self.name, self.product, side, price, size)
            if result.accepted is None:
                break
            room -= size
            placed += 1
            if result.remaining > 0:
                quotes.append(result.accepted.order_id)
        self.quotes[side] = quotes
        self.levels[side] = placed
