"""The CMI wire schema, in one place: how exchange state is spelled on the wire.

Key sets are exact (the organisers' client builds objects with `Cls(**json)`, so an extra key is a
crash). Order and trade volumes and positions are JSON integers; book-level volumes are floats; prices
are floats; timestamps have exactly nine fractional digits.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from cmi_sim.engine import BUY, SELL, SIDE_NAMES, Depth, OrderView
from cmi_sim.engine.book import BookSide, OrderBook
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
    """Renders the SSE `order` event of one product, read straight from the engine's book.

    A change usually moves one side of the book, so each side's text is kept per viewer until
    `side_changed` says that side moved, and a frame re-renders only the side that did. A viewer is a
    user with orders in the book (their own levels differ) or None for everyone else. Frames are whole
    SSE events, as bytes.
    """

    def __init__(self, book: OrderBook, tick: int) -> None:
        self.book = book
        self.tick = tick
        self._head = (f'event: order\ndata: {{"productsymbol":{json.dumps(book.product)},"tickSize":{tick},'
                      f'"buyOrders":{{').encode()
        self._side_texts: dict[int, dict[str | None, bytes]] = {BUY: {}, SELL: {}}  # side -> viewer -> text
        self._level_texts: dict[tuple[int, int, int], str] = {}  # (price, volume, own volume) -> its text

    def side_changed(self, side: int) -> None:
        """Forget what was rendered of `side`: a level on it, or someone's share of one, has changed."""
        self._side_texts[side].clear()

    def everything_changed(self) -> None:
        """Forget both sides: for when changes went unreported (nobody was listening)."""
        self._side_texts[BUY].clear()
        self._side_texts[SELL].clear()

    def render(self, viewer: str | None = None, own: Mapping[tuple[int, int], int] | None = None) -> bytes:
        """The frame as `viewer` sees it, given their open volume per (side, price) as `own_volumes` gives
        it. Only valid if every change since the last render of a side was reported by `side_changed`."""
        if not own:
            viewer = None
        bids = self._side_texts[BUY].get(viewer)
        if bids is None:
            bids = self._side_texts[BUY][viewer] = self._render_side(self.book.bids, own)
        asks = self._side_texts[SELL].get(viewer)
        if asks is None:
            asks = self._side_texts[SELL][viewer] = self._render_side(self.book.asks, own)
        return b"".join((self._head, bids, b'},"sellOrders":{', asks, b"}}\n\n"))

    def _render_side(self, book_side: BookSide, own: Mapping[tuple[int, int], int] | None) -> bytes:
        if _render_side_compiled is not None and (own is None or type(own) is dict):
            try:
                return _render_side_compiled(book_side, own, self.tick)
            except OverflowError:  # a price times the tick beyond 64 bits: Python's ints have no limit
                pass
        return self._render_side_py(book_side, own)

    def _render_side_py(self, book_side: BookSide, own: Mapping[tuple[int, int], int] | None) -> bytes:
        """The reference for the compiled `_csse.render_side` (the same bytes, much more slowly)."""
        # The side's keys are its prices times its sign (+1 or -1), best first: key * sign is the price.
        # Prices (ticks x an integer tick size) and volumes are integers: "{n}.0" is their float repr.
        # A change moves one level of a side, so the other levels' texts come from the cache.
        tick, levels, sign, side = self.tick, book_side.levels, book_side.sign, book_side.side
        own = own or _NOTHING_OWN
        texts = self._level_texts
        if len(texts) > _LEVEL_TEXTS_MAX:
            texts.clear()
        parts = []
        for key in book_side.keys:
            price = key * sign
            level = (price, levels[price].volume, own.get((side, price), 0))
            text = texts.get(level)
            if text is None:
                text = texts[level] = f'"{price * tick}.0":{{"marketVolume":{level[1]}.0,"userVolume":{level[2]}.0}}'
            parts.append(text)
        return ",".join(parts).encode()


try:  # built at install time when a C compiler was there (see setup.py)
    from cmi_sim.api._csse import render_side as _render_side_compiled
except ImportError:
    _render_side_compiled = None

_NOTHING_OWN: Mapping[tuple[int, int], int] = {}
_LEVEL_TEXTS_MAX = 20_000  # per product: a day's distinct levels stay well below; a runaway book is cleared


def sse_frame(event: str, payload: object) -> bytes:
    """One SSE event: `event:` and `data:` lines ending in LF, then a blank line."""
    return b"event: " + event.encode() + b"\ndata: " + dumps(payload) + b"\n\n"


KEEPALIVE = b": ping\n\n"
