"""The synthetic market: seeded background participants trading through the bot's exchange.

`SyntheticMarket.step(now_ns)` is the only way it moves: the agents due by `now_ns` act (at `now_ns`, in
a fixed order) and the market returns when it next wants to be called, or None once trading is over. It
reads no clock, starts no thread and awaits nothing, so its behaviour is a pure function of the seed, the
sequence of `step` calls and what the bot did to the exchange in between: a backtest drives it in virtual
time, `serve` from the event loop in (scaled) wall time.
"""

from __future__ import annotations

from cmi_sim.exchange import Exchange
from cmi_sim.market.arbitrageur import Arbitrageur
from cmi_sim.market.as_of import AsOfData
from cmi_sim.market.context import SECOND_NS, Agent, MarketContext
from cmi_sim.market.fair_value import BASKET, information_fair_values
from cmi_sim.market.far_off import FarOffQuoter
from cmi_sim.market.fat_finger import FatFinger
from cmi_sim.market.maker import MarketMaker
from cmi_sim.market.noise import NoiseTrader
from cmi_sim.market.params import MarketParams
from cmi_sim.market.randomness import agent_rng
from cmi_sim.market.schedule import Schedule


class SyntheticMarket:
    """Makers (two per product by default), noise takers, an ETF arbitrageur, a far-off quoter and a
    fat finger.

    `data`: the session's data as published (the fair values are estimated from it, never from the
    settlement values); `start_ns`/`end_ns`: the settlement window; `open_ns`/`close_ns`: when the agents
    trade.
    """

    def __init__(self, exchange: Exchange, data: AsOfData, start_ns: int, end_ns: int, open_ns: int,
                 close_ns: int, seed: str, params: MarketParams | None = None) -> None:
        self.exchange = exchange
        self.params = params = params or MarketParams()
        self.open_ns = open_ns
        self.close_ns = close_ns
        symbols = tuple(exchange.products)
        ticks = {symbol: exchange.products[symbol].tick_size for symbol in symbols}
        fair = information_fair_values(data, ticks, start_ns, end_ns, open_ns, close_ns)
        self.context = MarketContext(exchange, fair, params, symbols)
        agents: list[Agent] = []
        for symbol in symbols:
            agents.extend(MarketMaker(self.context, symbol, i + 1, seed) for i in range(params.makers_per_product))
        agents.extend(NoiseTrader(self.context, i + 1, seed) for i in range(params.noise_traders))
        if "LON_ETF" in symbols and all(p in symbols for p in BASKET):
            agents.extend(Arbitrageur(self.context, i + 1, seed) for i in range(params.arbitrageurs))
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
