"""Noise traders: take liquidity at random times, 1-10 lots at the best opposite price, in a random product.

They never leave orders behind (whatever does not fill at once is cancelled, like the organisers' IOC
helper), and they turn round rather than break their position limit.
"""

from __future__ import annotations

from cmi_sim.engine import BUY, SELL
from cmi_sim.market.context import MarketContext
from cmi_sim.market.randomness import agent_rng


class NoiseTrader:
    def __init__(self, context: MarketContext, index: int, seed: str) -> None:
        self.name = f"noise-{index}"
        self.context = context
        self.rng = agent_rng(seed, self.name)

    def act(self, now_ns: int) -> int:
        context, rng, params = self.context, self.rng, self.context.params
        product = rng.choice(context.symbols)
        side = BUY if rng.random() < 0.5 else SELL
        size = rng.randint(1, params.noise_size_max)
        if context.room(self.name, product, side) < size:
            side = -side
        size = min(size, context.room(self.name, product, side))
        bid, ask = context.exchange.engine.best_prices(product)
        price = ask if side == BUY else bid
        if size > 0 and price is not None:
            result = context.place(now_ns, self.name, product, side, price, size)
            if result.accepted is not None and result.remaining > 0:
                context.cancel(now_ns, self.name, result.accepted.order_id)
        # Uniform waits with the configured mean: no libm in the schedule.
        return now_ns + rng.randint(1, 2 * params.noise_interval_s * 1000 - 1) * 1_000_000
