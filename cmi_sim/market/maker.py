"""Market makers: a ladder of a few levels each side around their own view of the fair value, woken
every few seconds and kept up to date by cancel and replace.

Makers disagree, as people do. Each sees the data-driven fair value late (its own lag), looks again only
now and then (its own refresh interval, holding its view in between), adds its own opinion (a share of
the estimate's uncertainty, so opinions narrow as the day fills in) and learns from its fills: a lifted
ask nudges its view up by a half spread, a hit bid down, until its next look halves that lesson. So a
data release moves the book in steps, maker by maker, and a faster or better model earns from the slow.
LON_ETF's makers price off the basket they see in the books (TIDE_SPOT + WX_SPOT + LHR_COUNT mids) when
those books are sane, which keeps the ETF on its basket up to their reaction time.

A maker moves its centre when its view has moved by more than a quarter of its spread, and the centre
sits on the grid of the ladder's level gap, so a move slides the ladder by whole levels: the orders still
at a wanted price stay where they are (keeping their place in the queue), only the levels that fell off
are cancelled and only the missing ones placed, as a careful maker works. A level taken by a fill is
replaced alone. A ladder that is whole and in place costs a few look-ups, not a storm of events. The
centre leans against inventory, which keeps the maker well inside the position limit.
"""

from __future__ import annotations

from cmi_sim.engine import BUY, SELL
from cmi_sim.market.context import SECOND_NS, MarketContext
from cmi_sim.market.fair_value import BASKET
from cmi_sim.market.randomness import agent_rng, normal

MS_NS = 1_000_000
ETF = "LON_ETF"
SANE_SPREAD_PERMILLE = 10  # a basket book wider than 1% of its mid is no guide to the ETF


class MarketMaker:
    def __init__(self, context: MarketContext, product: str, index: int, seed: str) -> None:
        self.name = f"mm-{product}-{index}"
        self.context = context
        self.product = product
        self.path = context.fair[product]
        self.rng = rng = agent_rng(seed, self.name)
        params = context.params
        low, high = params.half_spread_ticks.get(product, (1, 3))
        self.spread_range = (low, high)
        self.half_spread = rng.randint(low, high)  # redrawn with its opinion
        self.lag_ns = rng.randint(params.view_lag_min_s, params.view_lag_max_s) * SECOND_NS
        self.refresh_min_ms = params.view_refresh_min_s * 1000
        self.refresh_span_ms = (params.view_refresh_max_s - params.view_refresh_min_s) * 1000 + 1
        self.noise = rng.randint(0, params.view_noise_permille) / 1000  # its opinion's scale, in sigmas
        self.opinion = normal(rng)  # this maker's private opinion, changed now and then
        self.lesson_percent = params.fill_lesson_percent
        self.basket_weight = params.etf_basket_weight_percent / 100 if product == ETF else 0.0
        self.seen = 0  # the fair value at its last look, in ticks
        self.leaning = 0.0  # its opinion at its last look, in ticks
        self.flow = 0  # what its fills since taught it, in ticks
        self.basket: float | None = None  # LON_ETF: the basket's mids at its last look (None: not sane)
        self.next_look_ns = 0
        self.depth = self._draw_depth()  # levels wanted per side, redrawn when the opinion changes
        self.anchor: int | None = None  # the centre the ladders are built around: a multiple of the gap
        self.half = 0  # the half spread when the anchor was set: the ladders' grid is fixed by it
        self.ladders: dict[int, list[int]] | None = None  # side -> wanted prices, best first; None: redo
        self.quotes: dict[int, dict[int, int]] = {BUY: {}, SELL: {}}  # side -> price -> resting order id
        self.wait_min_ms = params.requote_min_s * 1000
        self.wait_span_ms = (params.requote_max_s - params.requote_min_s) * 1000 + 1

    def view(self, now_ns: int) -> int:
        """This maker's fair value now, in ticks: the data as it last looked, its opinion, its lessons."""
        rng = self.rng
        if now_ns >= self.next_look_ns:
            seen_at = now_ns - self.lag_ns
            self.seen = self.path.at(seen_at)
            self.leaning = self.opinion * self.noise * self.path.sigma(seen_at)
            self.flow = int(self.flow / 2)  # half the lesson is forgotten at each look (towards zero)
            self.next_look_ns = now_ns + (self.refresh_min_ms + int(rng.random() * self.refresh_span_ms)) * MS_NS
            if self.basket_weight:  # and the ETF's makers read the basket's books afresh then too
                self.basket = self._basket_mid()
        elif self.basket_weight:  # in between, they follow the basket only when it moved by a spread
            basket = self._basket_mid()
            if basket is not None and (self.basket is None or abs(basket - self.basket) > 2 * self.half_spread):
                self.basket = basket
        own = self.seen + round(self.leaning) + self.flow
        if self.basket is not None:
            return round(self.basket_weight * self.basket + (1 - self.basket_weight) * own)
        return own

    def _basket_mid(self) -> float | None:
        engine = self.context.exchange.engine
        total = 0.0
        for product in BASKET:
            bid, ask = engine.best_prices(product)
            if bid is None or ask is None or (ask - bid) * 1000 > SANE_SPREAD_PERMILLE * (ask + bid) / 2:
                return None
            total += (bid + ask) / 2
        return total

    def _learn_from_fills(self) -> None:
        """A level of its ladder gone from the book was filled: the other side wanted it more."""
        live = self.context.resting
        for side, quotes in self.quotes.items():
            taken = sum(1 for order_id in quotes.values() if order_id not in live)
            # A bid hit (BUY) teaches it lower, an ask lifted higher.
            self.flow -= side * taken * self.half_spread * self.lesson_percent // 100

    def act(self, now_ns: int) -> int:
        context, rng = self.context, self.rng
        if rng.random() < 0.02:
            self.opinion = normal(rng)
            self.depth = self._draw_depth()
            self.half_spread = rng.randint(*self.spread_range)
            self.ladders = None
            self.next_look_ns = now_ns  # a new opinion comes with a fresh look at the data
        self._learn_from_fills()
        fair = self.view(now_ns)
        half = self.half_spread
        position = context.exchange.ledger.position(self.name, self.product)
        # Lean against inventory: a full position shifts the centre by four half spreads.
        centre = fair - position * 4 * half // context.limit
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
