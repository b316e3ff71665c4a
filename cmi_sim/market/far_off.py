"""Far-off quotes: now and then a small order far from the fair value (asks at 1.5x-4x, bids at a quarter
to two thirds), left for up to an hour. Live CMI books had them (an ask at 13275 with fair near 3000); a
bot that trusts the best price blindly pays for it."""

from __future__ import annotations

from cmi_sim.engine import BUY, SELL
from cmi_sim.market.context import SECOND_NS, MarketContext
from cmi_sim.market.randomness import agent_rng


class FarOffQuoter:
    def __init__(self, context: MarketContext, seed: str) -> None:
        self.name = "faroff"
        self.context = context
        self.rng = agent_rng(seed, self.name)
        self.expiries: list[tuple[int, int]] = []  # (expiry ns, order id), oldest first
        self.next_quote_ns: int | None = None

    def act(self, now_ns: int) -> int:
        context, rng, params = self.context, self.rng, self.context.params
        while self.expiries and self.expiries[0][0] <= now_ns:
            _, order_id = self.expiries.pop(0)
            context.cancel(now_ns, self.name, order_id)
        if self.next_quote_ns is None:
            self.next_quote_ns = now_ns + self._wait()
        elif self.next_quote_ns <= now_ns:
            self._quote(now_ns)
            self.next_quote_ns = now_ns + self._wait()
        if self.expiries:
            return min(self.next_quote_ns, self.expiries[0][0])
        return self.next_quote_ns

    def _wait(self) -> int:
        return self.rng.randint(1, 2 * self.context.params.far_off_interval_s) * SECOND_NS

    def _quote(self, now_ns: int) -> None:
        context, rng, params = self.context, self.rng, self.context.params
        product = rng.choice(context.symbols)
        side = BUY if rng.random() < 0.5 else SELL
        fair = context.fair[product].at(now_ns)
        factor = rng.randint(150, 400)  # percent
        price = fair * factor // 100 if side == SELL else max(1, fair * 100 // factor)
        size = min(rng.randint(1, params.size_max), context.room(self.name, product, side))
        lifetime = rng.randint(params.far_off_lifetime_min_s, params.far_off_lifetime_max_s) * SECOND_NS
        if size <= 0:
            return
        result = context.place(now_ns, self.name, product, side, price, size)
        if result.accepted is not None and result.remaining > 0:
            self.expiries.append((now_ns + lifetime, result.accepted.order_id))
            self.expiries.sort()
