"""``BaseBot``: the public surface competitors' bots subclass (the organisers' template's shape)."""

from __future__ import annotations

import threading
from typing import Any

from .connection import Connection, server_message
from .parsing import (
    book_from_rest,
    order_response_from_json,
    orders_from_json,
    positions_from_json,
    products_from_json,
    trades_from_json,
)
from .stream import SSEThread
from .types import Order, OrderBook, OrderRequest, OrderResponse, Product, Side, Trade


class BaseBot:
    """Logs in at construction; ``start()`` opens the market stream, REST methods work at once.

    Subclasses override ``on_orderbook`` and ``on_trades``; both run on the stream thread.
    """

    def __init__(self, cmi_url: str, username: str, password: str) -> None:
        self._connection = Connection(cmi_url, username, password)
        self._sse_thread: SSEThread | None = None

    @property
    def cmi_url(self) -> str:
        return self._connection.cmi_url

    @property
    def username(self) -> str:
        return self._connection.username

    @property
    def auth_token(self) -> str:
        return self._connection.auth_token

    # --- market stream -------------------------------------------------------------------------

    def start(self) -> None:
        """Start the daemon stream thread (once; a second call while it runs does nothing)."""
        if self._sse_thread is not None and self._sse_thread.is_alive():
            return
        self._sse_thread = SSEThread(self._connection, self.on_orderbook, self.on_trades)
        self._sse_thread.start()

    def stop(self) -> None:
        """Stop the stream thread; returns within about 5 s even if the server hangs."""
        if self._sse_thread is not None:
            self._sse_thread.stop()

    def on_orderbook(self, orderbook: OrderBook) -> None:
        """Called with a product's complete book whenever it changes."""

    def on_trades(self, trades: list[Trade]) -> None:
        """Called with the caller's own fills."""

    # --- orders --------------------------------------------------------------------------------

    def send_order(self, order: OrderRequest) -> OrderResponse | None:
        """Place one GTC limit order; on rejection print the server's reason and return None."""
        side = order.side.value if isinstance(order.side, Side) else str(order.side)
        body = {"product": order.product, "price": order.price, "side": side, "volume": order.volume}
        response = self._connection.post("/api/order", body)
        if not response.ok:
            print(f"Order {side} {order.volume}x {order.product} @ {order.price} rejected "
                  f"(HTTP {response.status_code}): {server_message(response)}")
            return None
        return order_response_from_json(response.json())

    def send_orders(self, orders: list[OrderRequest]) -> list[OrderResponse]:
        """Send orders concurrently, one thread each; return the accepted ones in request order.

        Note: this fires len(orders) requests at once, above the exchange's one-per-second rule.
        """
        results: list[OrderResponse | None] = [None] * len(orders)

        def send(index: int, order: OrderRequest) -> None:
            try:
                results[index] = self.send_order(order)
            except Exception as exc:  # noqa: BLE001 - a failed request must not kill the others
                print(f"Order {order} failed: {exc!r}")

        threads = [threading.Thread(target=send, args=(i, o), daemon=True) for i, o in enumerate(orders)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return [result for result in results if result is not None]

    def cancel_order(self, order_id: str) -> bool:
        """Cancel one resting order; False if the exchange no longer has it (e.g. it filled)."""
        return self._connection.delete(f"/api/order/{order_id}").ok

    def cancel_all_orders(self) -> None:
        """List the caller's open orders, then cancel them one request at a time (no bulk endpoint)."""
        for order in self.get_orders():
            self.cancel_order(order.id)

    def get_orders(self, product: str | None = None) -> list[Order]:
        params = {"productsymbol": product} if product is not None else None
        return orders_from_json(self._connection.get_json("/api/order/current-user", params))

    # --- market and account data ---------------------------------------------------------------

    def get_products(self) -> list[Product]:
        return products_from_json(self._connection.get_json("/api/product"))

    def get_positions(self) -> dict[str, int]:
        """Net position per product ever traded (absent means flat)."""
        return positions_from_json(self._connection.get_json("/api/position/current-user"))

    def get_orderbook(self, product: str) -> OrderBook:
        return book_from_rest(self._connection.get_json(f"/api/product/{product}/order-book/current-user"))

    def get_pnl(self) -> dict[str, Any]:
        """``{"user", "totalProfit", "details": [{"product", "profit"}]}`` as the exchange sends it."""
        return self._connection.get_json("/api/profit/current-user")

    def get_market_trades(self, from_timestamp: str | None = None) -> list[Trade]:
        """All exchange trades, oldest first; with ``from_timestamp``, those at or after it."""
        params = {"from": from_timestamp} if from_timestamp is not None else None
        return trades_from_json(self._connection.get_json("/api/trade", params))
