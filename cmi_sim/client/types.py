"""The CMI wire objects, spelled exactly as the exchange spells them.

Objects that the exchange sends with a fixed key set (product, order, trade) are built with
``Cls(**json)``, as the organisers' client does: an extra or a missing key raises ``TypeError``.
That strictness is deliberate, so a server that drifts from the contract fails loudly here too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


class Side(str, Enum):
    BUY = "BUY"
    SELL = "SELL"


@dataclass
class Product:
    symbol: str
    tickSize: float
    startingPrice: float
    contractSize: float


@dataclass
class Order:
    """An order as the exchange reports it (open-orders list, cancel and POST responses).

    ``volume`` is the remaining open quantity and ``filled`` the quantity executed so far.
    """

    id: str
    status: str
    product: str
    side: str
    price: float
    volume: int
    filled: int
    user: str
    timestamp: str
    targetUser: str | None
    message: str


@dataclass
class OrderResponse(Order):
    """The order object returned by ``POST /api/order``: same keys as ``Order``."""


@dataclass
class Trade:
    timestamp: str
    product: str
    buyer: str
    seller: str
    volume: int
    price: float


@dataclass(slots=True)
class PriceLevel:
    """One aggregated price level. ``volume`` includes the caller's own ``own_volume``."""

    price: float
    volume: float
    own_volume: float


@dataclass
class OrderBook:
    """A product's aggregated book; both sides best first (bids descending, asks ascending)."""

    product: str
    tick_size: float
    buy_orders: list[PriceLevel] = field(default_factory=list)
    sell_orders: list[PriceLevel] = field(default_factory=list)


@dataclass
class OrderRequest:
    product: str
    price: float
    side: Side
    volume: int
