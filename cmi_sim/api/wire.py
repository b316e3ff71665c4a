"""The CMI wire schema, in one place: how exchange state is spelled on the wire.

Key sets are exact (the organisers' client builds objects with `Cls(**json)`, so an extra key is a
crash). Order and trade volumes and positions are JSON integers; book-level volumes are floats; prices
are floats; timestamps have exactly nine fractional digits.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from cmi_sim.engine import SIDE_NAMES, Depth, OrderView
from cmi_sim.exchange import Trade, format_timestamp
from cmi_sim.products import Product

PRODUCT_KEYS = ("symbol", "tickSize", "startingPrice", "contractSize")
ORDER_KEYS = ("id", "status", "product", "side", "price", "volume", "filled", "user", "timestamp",
              "targetUser", "message")
TRADE_KEYS = ("timestamp", "product", "buyer", "seller", "volume", "price")

_dumps = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode


def dumps(obj: object) -> bytes:
    """Compact JSON on one line (SSE needs one line per `data:`)."""
    return _dumps(obj).encode()


def product_json(product: Product) -> dict:
    return {"symbol": product.symbol, "tickSize": product.tick_size, "startingPrice": product.starting_price,
            "contractSize": product.contract_size}


def order_json(order_id: str, status: str, product: str, side: int, price: float, volume: int, filled: int,
               user: str, ts: int) -> dict:
    return {"id": order_id, "status": status, "product": product, "side": SIDE_NAMES[side],
            "price": float(price), "volume": int(volume), "filled": int(filled), "user": user,
            "timestamp": format_timestamp(ts), "targetUser": None, "message": ""}


def resting_order_json(order_id: str, view: OrderView, tick: int, order_volume: str) -> dict:
    """An open order as listed or cancelled: ACTIVE or PART_FILLED."""
    status = "PART_FILLED" if view.remaining < view.volume else "ACTIVE"
    volume = view.remaining if order_volume == "remaining" else view.volume
    return order_json(order_id, status, view.product, view.side, view.price * tick, volume, view.filled,
                      view.owner, view.ts)


def trade_json(trade: Trade, tick: int, buyer: str | None = None, seller: str | None = None) -> dict:
    """A trade; `buyer`/`seller` override the names (the SSE stream blanks the counterparty)."""
    return {"timestamp": format_timestamp(trade.ts), "product": trade.product,
            "buyer": trade.buyer if buyer is None else buyer, "seller": trade.seller if seller is None else seller,
            "volume": int(trade.volume), "price": float(trade.price * tick)}


def rest_book_json(depth: Depth, tick: int) -> dict:
    """`GET /api/product/{symbol}/order-book/current-user`: levels best first, with the caller's share."""
    return {
        "product": depth.product,
        "tickSize": tick,
        "buy": [{"price": float(lv.price * tick), "volume": float(lv.volume), "userOrderVolume": float(lv.owner_volume)}
                for lv in depth.bids],
        "sell": [{"price": float(lv.price * tick), "volume": float(lv.volume),
                  "userOrderVolume": float(lv.owner_volume)} for lv in depth.asks],
    }


def position_json(positions: Mapping[str, int]) -> list[dict]:
    # `volume` repeats the net position: an older client reads it as the position.
    return [{"product": product, "netPosition": int(pos), "volume": int(pos)} for product, pos in positions.items()]


def profit_json(user: str, pnl: Mapping[str, float]) -> dict:
    return {"user": user, "totalProfit": float(sum(pnl.values())),
            "details": [{"product": product, "profit": float(value)} for product, value in pnl.items()]}


def message_json(message: str) -> dict:
    return {"message": message}


class SseBookRenderer:
    """Renders the SSE `order` event of one product's book for many subscribers.

    The common part (every level with `userVolume` 0) is rendered once per change; a subscriber with
    orders in the book gets its own levels patched in. Returns the whole SSE frame as bytes.
    """

    def __init__(self, depth: Depth, tick: int) -> None:
        self.depth = depth
        self.tick = tick
        self._plain: bytes | None = None

    def _levels(self, levels, side: int, own: Mapping[tuple[int, int], int]) -> str:
        # Prices (ticks x an integer tick size) and volumes are integers: "{n}.0" is their float repr.
        tick = self.tick
        if own:
            return ",".join(f'"{lv.price * tick}.0":{{"marketVolume":{lv.volume}.0,'
                            f'"userVolume":{own.get((side, lv.price), 0)}.0}}' for lv in levels)
        return ",".join(f'"{lv.price * tick}.0":{{"marketVolume":{lv.volume}.0,"userVolume":0.0}}'
                        for lv in levels)

    def render(self, own: Mapping[tuple[int, int], int] | None = None) -> bytes:
        if not own:
            if self._plain is None:
                self._plain = self._render({})
            return self._plain
        return self._render(own)

    def _render(self, own: Mapping[tuple[int, int], int]) -> bytes:
        depth = self.depth
        data = (f'{{"productsymbol":{json.dumps(depth.product)},"tickSize":{self.tick},'
                f'"buyOrders":{{{self._levels(depth.bids, 1, own)}}},'
                f'"sellOrders":{{{self._levels(depth.asks, -1, own)}}}}}')
        return f"event: order\ndata: {data}\n\n".encode()


def sse_frame(event: str, payload: object) -> bytes:
    """One SSE event: `event:` and `data:` lines ending in LF, then a blank line."""
    return b"event: " + event.encode() + b"\ndata: " + dumps(payload) + b"\n\n"


KEEPALIVE = b": ping\n\n"
