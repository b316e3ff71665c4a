"""An arbitrageur: it looks at LON_ETF and its basket (TIDE_SPOT + WX_SPOT + LHR_COUNT) every few seconds,
and when one side of the ETF is through the other side of the basket by more than its least edge, it
trades both after a human delay (if the edge is still there): sells the ETF at its bid and buys the
basket at its asks, or the reverse, a few lots at a time, taking only the best levels and leaving nothing
behind. It closes the gaps the makers leave at data releases and fat fingers, not the makers' everyday
noise (a trade must beat both spreads); unwinding its position takes any positive edge.
"""

from __future__ import annotations

from cmi_sim.engine import BUY, SELL
from cmi_sim.market.context import MarketContext
from cmi_sim.market.fair_value import BASKET
from cmi_sim.market.randomness import agent_rng

MS_NS = 1_000_000
ETF = "LON_ETF"


class Arbitrageur:
    def __init__(self, context: MarketContext, index: int, seed: str) -> None:
        self.name = f"arb-{index}"
        self.context = context
        self.rng = agent_rng(seed, self.name)
        self.due_ns: int | None = None  # when it trades the edge it saw

    def act(self, now_ns: int) -> int:
        params = self.context.params
        if self.due_ns is not None and now_ns >= self.due_ns:
            self.due_ns = None
            side = self._edge()
            if side:
                self._trade(now_ns, side)
        elif self._edge():
            delay_ms = self.rng.randint(params.arb_delay_min_ms, params.arb_delay_max_ms)
            self.due_ns = now_ns + max(1, delay_ms) * MS_NS
            return self.due_ns
        return now_ns + self.rng.randint(1, 2 * params.arb_check_s * 1000 - 1) * MS_NS

    def _edge(self) -> int:
        """BUY: buy the ETF and sell the basket; SELL: the reverse; 0: no edge worth its while."""
        context = self.context
        engine = context.exchange.engine
        etf_bid, etf_ask = engine.best_prices(ETF)
        bids, asks = 0, 0
        for product in BASKET:
            bid, ask = engine.best_prices(product)
            if bid is None or ask is None:
                return 0
            bids += bid
            asks += ask
        position = context.position(self.name, ETF)
        least = context.params.arb_edge_ticks
        if etf_ask is not None and bids - etf_ask >= (1 if position < 0 else least):
            return BUY
        if etf_bid is not None and etf_bid - asks >= (1 if position > 0 else least):
            return SELL
        return 0

    def _trade(self, now_ns: int, side: int) -> None:
        context = self.context
        engine = context.exchange.engine
        legs = [(ETF, side)] + [(product, -side) for product in BASKET]
        size = min([self.rng.randint(1, context.params.arb_size_max)]
                   + [context.room(self.name, product, leg_side) for product, leg_side in legs])
        if size <= 0:
            return
        for product, leg_side in legs:
            bid, ask = engine.best_prices(product)
            price = ask if leg_side == BUY else bid
            if price is None:
                continue
            result = context.place(now_ns, self.name, product, leg_side, price, size)
            if result.accepted is not None and result.remaining > 0:
                context.cancel(now_ns, self.name, result.accepted.order_id)
