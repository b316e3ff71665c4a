"""Market makers: a ladder of a few levels each side around their own view of the fair value, woken
every few seconds and kept up to date by cancel and replace.

A maker moves its centre when its view has moved by more than a quarter of its spread, and the centre
sits on the grid of the ladder's level gap, so a move slides the ladder by whole levels: the orders still
at a wanted price stay where they are (keeping their place in the queue), only the levels that fell off
are cancelled and only the missing ones placed, as a careful maker works. A level taken by a fill is
replaced alone. A ladder that is whole and in place costs a few look-ups, not a storm of events. The
centre leans against inventory, which keeps the maker well inside the position limit.
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
        self.depth = self._draw_depth()  # levels wanted per side, redrawn when the opinion changes
        self.anchor: int | None = None  # the centre the ladders are built around: a multiple of the gap
        self.half = 0  # the half spread when the anchor was set: the ladders' grid is fixed by it
        self.ladders: dict[int, list[int]] | None = None  # side -> wanted prices, best first; None: redo
        self.quotes: dict[int, dict[int, int]] = {BUY: {}, SELL: {}}  # side -> price -> resting order id
        self.wait_min_ms = params.requote_min_s * 1000
        self.wait_span_ms = (params.requote_max_s - params.requote_min_s) * 1000 + 1

    def act(self, now_ns: int) -> int:
        context, rng = self.context, self.rng
        if rng.random() < 0.02:
            self.bias_bps = normal(rng) * self.spread_bps / 2
            self.depth = self._draw_depth()
            self.ladders = None
        fair = self.path.at(now_ns)
        half = fair * self.spread_bps // 10_000 or 1
        position = context.exchange.ledger.position(self.name, self.product)
        # Lean against inventory: a full position shifts the centre by two half spreads.
        centre = fair + round(fair * self.bias_bps / 10_000) - position * 2 * half // context.limit
        anchor = self.anchor
        if anchor is None or half != self.half or abs(centre - anchor) > (half // 4 or 1):
            gap = half // 2 or 1
            snapped = (centre + gap // 2) // gap * gap
            if snapped != anchor or half != self.half:
                self.anchor, self.half, self.ladders = snapped, half, None
        ladders = self.ladders
        if ladders is None:
            ladders = self.ladders = self._ladders()
        live = context.resting
        wanted: list[tuple[int, list[int]]] = []
        stale: list[int] = []
        for side, prices in ladders.items():
            quotes = self.quotes[side]
            # Quotes are kept in ladder order, so the same prices in the same order and all live is whole.
            if len(quotes) == len(prices) and live.issuperset(quotes.values()) and list(quotes) == prices:
                continue
            wanted.append((side, prices))
            stale.extend(order_id for price, order_id in quotes.items() if price not in prices or order_id not in live)
        # Cancel before placing: after a big move a new bid could otherwise meet this maker's own old ask.
        for order_id in stale:
            context.cancel(now_ns, self.name, order_id)
        for side, prices in wanted:
            self._fill_ladder(now_ns, side, prices)
        return now_ns + (self.wait_min_ms + int(rng.random() * self.wait_span_ms)) * MS_NS

    def _draw_depth(self) -> dict[int, int]:
        levels_max = self.context.params.levels_max
        return {BUY: self.rng.randint(1, levels_max), SELL: self.rng.randint(1, levels_max)}

    def _ladders(self) -> dict[int, list[int]]:
        anchor, half = self.anchor, self.half
        assert anchor is not None
        gap = half // 2 or 1
        return {side: [anchor - side * (half + level * gap) for level in range(self.depth[side])]
                for side in (BUY, SELL)}

    def _fill_ladder(self, now_ns: int, side: int, prices: list[int]) -> None:
        """Keep the live orders at wanted prices (within room) and place the missing levels, best first."""
        context, rng, params = self.context, self.rng, self.context.params
        live = context.resting
        old = self.quotes[side]
        room = context.room(self.name, self.product, side)
        counts_resting = context.exchange.rules.limit_counts_resting
        quotes: dict[int, int] = {}
        for price in prices:
            if price < 1 or room <= 0:
                break
            kept = old.get(price)
            view = context.exchange.order(self.name, kept) if kept is not None and kept in live else None
            if view is not None:
                if not counts_resting:  # count its full size, whatever has filled: room stays on the safe side
                    room -= view.volume
                quotes[price] = view.order_id
                continue
            if rng.randrange(100) < params.big_size_percent:
                size = rng.randint(params.big_size_min, params.big_size_max)
            else:
                size = rng.randint(1, params.size_max)
            size = min(size, room)
            result = context.place(now_ns, self.name, self.product, side, price, size)
            if result.accepted is None:
                break
            room -= size
            if result.remaining > 0:
                quotes[price] = result.accepted.order_id
        for price, order_id in old.items():
            if quotes.get(price) != order_id and order_id in live:
                context.cancel(now_ns, self.name, order_id)  # beyond the room now: take it down
        self.quotes[side] = quotes
