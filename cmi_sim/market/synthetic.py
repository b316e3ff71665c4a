"""The synthetic market: seeded background participants trading through the bot's exchange.

`SyntheticMarket.step(now_ns)` is the only way it moves: the agents due by `now_ns` act (at `now_ns`, in
a fixed order) and the market returns when it next wants to be called, or None once trading is over. It
reads no clock, starts no thread and awaits nothing, so its behaviour is a pure function of the seed, the
sequence of `step` calls and what the bot did to the exchange in between: a backtest drives it in virtual
time, `serve` from the event loop in (scaled) wall time.
"""

from __future__ import annotations

from collections.abc import Mapping

from cmi_sim.exchange import Exchange
from cmi_sim.market.context import SECOND_NS, Agent, MarketContext
from cmi_sim.market.fair_value import FairValuePath, prior_ticks
from cmi_sim.market.far_off import FarOffQuoter
from cmi_sim.market.fat_finger import FatFinger
from cmi_sim.market.maker import MarketMaker
from cmi_sim.market.noise import NoiseTrader
from cmi_sim.market.params import MarketParams
from cmi_sim.market.randomness import agent_rng
from cmi_sim.market.schedule import Schedule


class SyntheticMarket:
    """Makers (two per product by default), noise takers, a far-off quoter and a fat finger.

    `open_ns`/`close_ns`: when the agents trade; `end_ns`: when the fair values reach `settlement`
    (values in price units, as the session computes them).
    """

    def __init__(self, exchange: Exchange, settlement: Mapping[str, float], open_ns: int, close_ns: int,
                 end_ns: int, seed: str, params: MarketParams | None = None) -> None:
        self.exchange = exchange
        self.params = params = params or MarketParams()
        self.open_ns = open_ns
        self.close_ns = close_ns
        symbols = tuple(exchange.products)
        fair_rng = agent_rng(seed, "fair-value")
        fair: dict[str, FairValuePath] = {}
        for symbol in symbols:  # in product order, from one generator: adding an agent leaves paths alone
            product = exchange.products[symbol]
            target = round(settlement[symbol] / product.tick_size)
            prior = prior_ticks(product.starting_price, target, params.prior_error_bps, fair_rng)
            fair[symbol] = FairValuePath(open_ns, max(end_ns, open_ns + 1), prior, target,
                                         params.fair_volatility_bps, fair_rng)
        self.context = MarketContext(exchange, fair, params, symbols)
        agents: list[Agent] = []
        for symbol in symbols:
            agents.extend(MarketMaker(self.context, symbol, i + 1, seed) for i in range(params.makers_per_product))
        agents.extend(NoiseTrader(self.context, i + 1, seed) for i in range(params.noise_traders))
        agents.append(FarOffQuoter(self.context, seed))
        agents.append(FatFinger(self.context, seed))
        self.agents = agents
        stagger = agent_rng(seed, "start")  # so the makers do not all quote in the same nanosecond
        self.schedule = Schedule(agents, [open_ns + stagger.randint(0, 5 * SECOND_NS) for _ in agents])

    @property
    def accounts(self) -> list[str]:
        """The market's account names, in acting order."""
        return [agent.name for agent in self.agents]

    def describe(self) -> dict[str, object]:
        """For reports: what kind of market this was."""
        return {"kind": "synthetic", "agents": len(self.agents)}

    def fair_value(self, product: str, ts: int) -> int:
        """The market's fair value of `product` at `ts`, in ticks."""
        return self.context.fair[product].at(ts)

    def step(self, now_ns: int) -> int | None:
        """Run the agents due by `now_ns`; the next time to call, or None when trading is over."""
        if now_ns >= self.close_ns or self.exchange.settlement is not None:
            return None
        if now_ns < self.open_ns:
            return self.open_ns
        wake = self.schedule.run_due(now_ns)
        return wake if wake < self.close_ns else None
