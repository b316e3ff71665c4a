"""Turn decoded JSON from the exchange into client types.

Fixed-key objects go through ``Cls(**json)`` (strict). Books are renamed field by field, so they
read the keys they need and ignore others.
"""

from __future__ import annotations

from itertools import starmap
from typing import Any

from .types import Order, OrderBook, OrderResponse, PriceLevel, Product, Trade

Json = dict[str, Any]


def products_from_json(items: list[Json]) -> list[Product]:
    return [Product(**item) for item in items]


def order_response_from_json(item: Json) -> OrderResponse:
    return OrderResponse(**item)


def orders_from_json(items: list[Json]) -> list[Order]:
    return [Order(**item) for item in items]


def trades_from_json(items: list[Json]) -> list[Trade]:
    return [Trade(**item) for item in items]


def book_from_stream(data: Json) -> OrderBook:
    """Build a book from an SSE ``order`` event.

    The event carries ``{"<price>": {"marketVolume", "userVolume"}}`` maps keyed by price strings;
    maps have no order, so the levels are sorted here, best first.
    """
    bids = _stream_levels(data.get("buyOrders") or {}, descending=True)
    asks = _stream_levels(data.get("sellOrders") or {}, descending=False)
    return OrderBook(data["productsymbol"], data["tickSize"], bids, asks)  # positional: cheaper than keywords


def _stream_levels(side: Json, descending: bool) -> list[PriceLevel]:
    # Sort plain tuples (prices are unique keys), then build the levels: every book event of a busy
    # market passes through here, so it is kept cheap. A book shows the same few price strings over
    # and over, and a look-up is cheaper than parsing one.
    price_of = _PRICES.get
    rows = []
    for price, level in side.items():
        value = price_of(price)
        if value is None:
            value = _parse_price(price)
        rows.append((value, level["marketVolume"], level["userVolume"]))
    rows.sort(reverse=descending)
    return list(starmap(PriceLevel, rows))


_PRICES: dict[str, float] = {}  # price key -> float(price key)
_PRICES_MAX = 10_000


def _parse_price(text: str) -> float:
    value = float(text)
    if len(_PRICES) >= _PRICES_MAX:
        _PRICES.clear()
    _PRICES[text] = value
    return value


def book_from_rest(data: Json) -> OrderBook:
    """Build a book from ``GET /api/product/{symbol}/order-book/current-user``.

    The server sends levels best first; they are kept in the server's order.
    """

    def levels(side: list[Json]) -> list[PriceLevel]:
        return [
            PriceLevel(price=level["price"], volume=level["volume"], own_volume=level["userOrderVolume"])
            for level in side
        ]

    return OrderBook(
        product=data["product"],
        tick_size=data["tickSize"],
        buy_orders=levels(data.get("buy") or []),
        sell_orders=levels(data.get("sell") or []),
    )


def positions_from_json(items: list[Json]) -> dict[str, int]:
    return {item["product"]: item["netPosition"] for item in items}
