"""The organisers' simple quoter: cancel everything, then quote a bid and an ask around each mid.

Pacing: the exchange allows ONE REST REQUEST PER SECOND per account (the stream is exempt). Every
REST call below goes through ``_paced``, which sleeps until ``REQUEST_SPACING`` seconds have passed
since the previous call returned, so calls never overlap and never come closer than that. Books come
from the stream when it has delivered them, which saves a request per product. A cycle therefore
costs 1 (list orders) + 1 per cancel + 1 (positions) + up to 2 per product, about 1 s each, then
``interval`` seconds of rest: with all eight products, roughly half a minute per cycle. Quote fewer
products (``--products``) for faster cycles. It uses only the public ``BaseBot`` surface, so it also
runs on the organisers' own ``bot_template.py``.

    python bots/quoter.py --url http://127.0.0.1:8000 --username alice --password pw
"""

from __future__ import annotations

import argparse
import math
import threading
import time
from collections.abc import Callable
from typing import TypeVar

import requests

from bot_template import BaseBot, OrderBook, OrderRequest, Product, Side, Trade

# What competitors had hard-coded: the real test exchange. Run with HTTP_PROXY to redirect it.
DEFAULT_URL = "http://ec2-52-49-69-152.eu-west-1.compute.amazonaws.com/"
POSITION_LIMIT = 100

T = TypeVar("T")


class SimpleQuoter(BaseBot):
    REQUEST_SPACING = 1.0  # seconds between REST calls: the exchange's one-per-second rule

    def __init__(self, cmi_url: str, username: str, password: str, products: list[str] | None = None) -> None:
        super().__init__(cmi_url, username, password)
        self._wanted = products
        self._books: dict[str, OrderBook] = {}
        self._books_lock = threading.Lock()  # written by the stream thread, read by the loop
        self._last_request_end: float | None = None

    # --- stream callbacks --------------------------------------------------------------------

    def on_orderbook(self, orderbook: OrderBook) -> None:
        with self._books_lock:
            self._books[orderbook.product] = orderbook

    def on_trades(self, trades: list[Trade]) -> None:
        for trade in trades:
            side = "BUY" if trade.buyer == self.username else "SELL"
            print(f"filled: {side} {trade.volume}x {trade.product} @ {trade.price}")

    # --- the loop ----------------------------------------------------------------------------

    def run_loop(self, width: int = 5, volume: int = 5, interval: float = 5) -> None:
        products = self._paced(self.get_products)
        if self._wanted:
            products = [p for p in products if p.symbol in self._wanted]
        while True:
            try:
                self.quote_once(products, width, volume)
            except requests.RequestException as exc:  # a failed call costs one cycle, not the bot
                print(f"cycle failed: {exc}")
            time.sleep(interval)

    def quote_once(self, products: list[Product], width: int, volume: int) -> None:
        """One cycle: cancel all own orders, then one bid and one ask per product, within limits."""
        for order in self._paced(self.get_orders):
            self._paced(lambda: self.cancel_order(order.id))
        positions = self._paced(self.get_positions)
        for product in products:
            book = self._book(product.symbol)
            mid = market_mid(book)
            if mid is None:
                mid = product.startingPrice
            tick = book.tick_size or product.tickSize
            position = positions.get(product.symbol, 0)
            bid = on_grid(math.floor((mid - width * tick) / tick) * tick)
            ask = on_grid(math.ceil((mid + width * tick) / tick) * tick)
            # Skip a side that would breach the limit if it filled completely; the exchange would reject it.
            if position + volume <= POSITION_LIMIT and bid > 0:
                self._paced(lambda: self.send_order(OrderRequest(product.symbol, bid, Side.BUY, volume)))
            if position - volume >= -POSITION_LIMIT:
                self._paced(lambda: self.send_order(OrderRequest(product.symbol, ask, Side.SELL, volume)))

    def _book(self, symbol: str) -> OrderBook:
        with self._books_lock:
            book = self._books.get(symbol)
        return book if book is not None else self._paced(lambda: self.get_orderbook(symbol))

    def _paced(self, request: Callable[[], T]) -> T:
        """Run one REST call no sooner than REQUEST_SPACING after the previous one returned."""
        if self._last_request_end is not None:
            wait = self._last_request_end + self.REQUEST_SPACING - time.monotonic()
            if wait > 0:
                time.sleep(wait)
        try:
            return request()
        finally:
            self._last_request_end = time.monotonic()


def market_mid(book: OrderBook) -> float | None:
    """Mid of the best levels that hold someone else's volume (our own quotes must not steer it)."""
    bids = [lvl.price for lvl in book.buy_orders if lvl.volume - lvl.own_volume > 0]
    asks = [lvl.price for lvl in book.sell_orders if lvl.volume - lvl.own_volume > 0]
    if bids and asks:
        return (max(bids) + min(asks)) / 2
    if bids or asks:
        return max(bids) if bids else min(asks)
    return None


def on_grid(price: float) -> float | int:
    """Whole prices go out as integers, the form the exchange itself uses."""
    return int(price) if float(price).is_integer() else price


def main() -> None:
    parser = argparse.ArgumentParser(description="Quote a bid and an ask around each product's mid.")
    parser.add_argument("--url", default=DEFAULT_URL, help="exchange base URL (default: the real test exchange)")
    parser.add_argument("--username", default="simple_quoter", help="account name")
    parser.add_argument("--password", default="quoter-password", help="account password")
    parser.add_argument("--products", nargs="*", default=None, help="symbols to quote (default: all)")
    parser.add_argument("--width", type=int, default=5, help="ticks from the mid to each quote")
    parser.add_argument("--volume", type=int, default=5, help="volume of each quote")
    parser.add_argument("--interval", type=float, default=5, help="seconds to rest between cycles")
    args = parser.parse_args()

    bot = SimpleQuoter(args.url, args.username, args.password, products=args.products)
    bot.start()
    try:
        bot.run_loop(width=args.width, volume=args.volume, interval=args.interval)
    except KeyboardInterrupt:
        bot.stop()


if __name__ == "__main__":
    main()
