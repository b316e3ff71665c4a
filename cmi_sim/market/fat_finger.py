"""Fat fingers: a few times a day, an order with a mistyped price (5x-40x the fair value for a buy, a
fifth to a fortieth for a sell) and 5-30 lots. It sweeps the thin book, through any far-off quotes, and
what is left rests at the absurd price for a minute or a few, where others trade with it. That is how
LON_FLY printed at 59380 and 134429 live when its fair value was near 3300."""

from __future__ import annotations

from cmi_sim.engine import BUY, SELL
from cmi_sim.market.context import SECOND_NS, MarketContext
from cmi_sim.market.randomness import agent_rng

DAY_S = 86_400


class FatFinger:
    def __init__(self, context: MarketContext, seed: str) -> None:
        self.name = "fatfinger"
        self.context = context
        self.rng = agent_rng(seed, self.name)
        self.resting: int | None = None  # the order left over from the last slip
        self.started = False

    def act(self, now_ns: int) -> int:
        context, rng = self.context, self.rng
        if self.resting is not None:
            context.cancel(now_ns, self.name, self.resting)
            self.resting = None
        elif self.started:
            self._slip(now_ns)
            if self.resting is not None:
                return now_ns + rng.randint(60, 600) * SECOND_NS
        self.started = True
        return now_ns + self._wait()

    def _wait(self) -> int:
        per_day = self.context.params.fat_fingers_per_day
        if per_day == 0:
            return 2**62  # never
        mean_s = DAY_S // per_day
        return self.rng.randint(mean_s // 5, 2 * mean_s - mean_s // 5) * SECOND_NS

    def _slip(self, now_ns: int) -> None:
        context, rng = self.context, self.rng
        product = rng.choice(context.symbols)
        side = BUY if rng.random() < 0.5 else SELL
        if context.room(self.name, product, side) < context.room(self.name, product, -side):
            side = -side
        fair = context.fair[product].at(now_ns)
        factor = rng.randint(5, 40)
        price = fair * factor if side == BUY else max(1, fair // factor)
        size = min(rng.randint(5, 30), context.room(self.name, product, side))
        if size <= 0:
            return
        result = context.place(now_ns, self.name, product, side, price, size)
        if result.accepted is not None and result.remaining > 0:
            self.resting = result.accepted.order_id
