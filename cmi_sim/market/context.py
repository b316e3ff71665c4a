"""What every agent sees: the exchange it trades on, the fair values, the settings, and its room to trade."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from cmi_sim.engine import Fill, OrderCancelled
from cmi_sim.exchange import Exchange, OrderResult
from cmi_sim.market.fair_value import FairValuePath
from cmi_sim.market.params import MarketParams

SECOND_NS = 1_000_000_000


class Agent(Protocol):
    """A background participant. `act(now_ns)` trades at `now_ns` and returns when it next wants to act."""

    name: str

    def act(self, now_ns: int) -> int: ...


@dataclass(frozen=True)
class MarketContext:
    exchange: Exchange
    fair: dict[str, FairValuePath]  # symbol -> fair value path (ticks)
    params: MarketParams
    symbols: tuple[str, ...]
    # Ids of the market's resting orders, kept current from the exchange's events: cheaper than asking the
    # engine for a view of each order on every wake.
    resting: set[int] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.exchange.subscribe(self._on_events)

    def _on_events(self, events: list, trades: list) -> None:
        resting = self.resting
        if not resting:
            return
        for event in events:
            kind = type(event)
            if kind is Fill:
                if event.maker_remaining == 0:
                    resting.discard(event.maker_order_id)
            elif kind is OrderCancelled:
                resting.discard(event.order_id)

    def place(self, now_ns: int, owner: str, product: str, side: int, price: int, volume: int) -> OrderResult:
        result = self.exchange.place(now_ns, owner, product, side, price, volume)
        if result.accepted is not None and result.remaining > 0:
            self.resting.add(result.accepted.order_id)
        return result

    def cancel(self, now_ns: int, owner: str, order_id: int) -> None:
        """Cancel one of the market's orders if it still rests."""
        if order_id in self.resting:
            self.exchange.cancel(now_ns, owner, order_id)

    @property
    def limit(self) -> int:
        return self.exchange.rules.position_limit

    def position(self, owner: str, product: str) -> int:
        return self.exchange.ledger.position(owner, product)

    def room(self, owner: str, product: str, side: int) -> int:
        """How much `owner` may still buy (side 1) or sell (side -1) without any chance of a position-limit
        rejection, whether or not the rules count resting orders against the limit."""
        exchange = self.exchange
        room = self.limit - side * exchange.ledger.position(owner, product)
        if exchange.rules.limit_counts_resting:
            room -= exchange.resting.volume(owner, product, side)
        return max(0, room)
