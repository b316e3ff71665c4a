"""LON_ETF against its basket: LON_ETF settles to TIDE_SPOT + WX_SPOT + LHR_COUNT, so one ETF is worth one
of each component at settlement, whatever the data turn out to be.

Two trades lock that in:

* buy the basket cheap: the ETF's best ask + threshold < the sum of the components' best bids
  -> buy the ETF at its ask, sell each component at its bid;
* sell the basket rich: the ETF's best bid - threshold > the sum of the components' best asks
  -> sell the ETF at its bid, buy each component at its ask.

The exchange has only GTC limit orders, so every leg is an IOC done by place-and-cancel: send the
order at the price seen; if it comes back resting with ``volume > 0`` (the remaining quantity),
cancel it at once. The ETF leg goes first; the components are then sent for the quantity the ETF
leg actually filled. A leg that fills short leaves the hedge unbalanced (a component position not
equal to minus the ETF position); the next cycles repair that at the best price on the book before
looking for new trades.

Sizes are limited by the volume at the best levels (not counting our own), ``--max-size`` and the
±100 position limit, for every leg. Books come from the market stream (exempt from the rate rule);
every REST call goes through ``_paced``: ONE REQUEST PER SECOND, as the exchange requires.

    python bots/etf_arb.py --url http://127.0.0.1:8000 --username arb --password pw
"""

from __future__ import annotations

import argparse
import threading
import time
from collections.abc import Callable
from datetime import datetime, timezone
from typing import TypeVar

import requests

from bot_template import BaseBot, OrderBook, OrderRequest, Side, Trade

# What competitors had hard-coded: the real test exchange. Run with HTTP_PROXY to redirect it.
DEFAULT_URL = "http://ec2-52-49-69-152.eu-west-1.compute.amazonaws.com/"
POSITION_LIMIT = 100
ETF = "LON_ETF"
COMPONENTS = ("TIDE_SPOT", "WX_SPOT", "LHR_COUNT")  # a tuple: the legs always go in this order

T = TypeVar("T")


def log(message: str) -> None:
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    print(f"{stamp} {message}", flush=True)


def best_bid(book: OrderBook | None) -> tuple[float, int] | None:
    """(price, volume) of the best bid holding someone else's volume."""
    if book is None:
        return None
    for level in book.buy_orders:
        other = int(level.volume - level.own_volume)
        if other > 0:
            return level.price, other
    return None


def best_ask(book: OrderBook | None) -> tuple[float, int] | None:
    if book is None:
        return None
    for level in book.sell_orders:
        other = int(level.volume - level.own_volume)
        if other > 0:
            return level.price, other
    return None


def on_grid(price: float) -> float | int:
    return int(price) if float(price).is_integer() else price


class EtfArb(BaseBot):
    REQUEST_SPACING = 1.0  # seconds between REST calls: the exchange's one-per-second rule

    def __init__(self, cmi_url: str, username: str, password: str, threshold: float = 5,
                 max_size: int = 10, poll: float = 1.0) -> None:
        super().__init__(cmi_url, username, password)
        self.threshold = threshold
        self.max_size = max_size
        self.poll = poll
        self._books: dict[str, OrderBook] = {}
        self._books_lock = threading.Lock()  # written by the stream thread, read by the loop
        self._last_request_end: float | None = None
        self.positions: dict[str, int] = {}

    # --- stream callbacks --------------------------------------------------------------------

    def on_orderbook(self, orderbook: OrderBook) -> None:
        with self._books_lock:
            self._books[orderbook.product] = orderbook

    def on_trades(self, trades: list[Trade]) -> None:
        for trade in trades:
            side = "BUY" if trade.buyer == self.username else "SELL"
            log(f"filled: {side} {trade.volume}x {trade.product} @ {trade.price}")

    # --- the loop ----------------------------------------------------------------------------

    def run_loop(self) -> None:
        self.positions = self._paced(self.get_positions)
        log(f"start: threshold {self.threshold}, max size {self.max_size}, positions {self._pos_text()}")
        while True:
            try:
                acted = self.repair_hedge() or self.arb_once()
            except requests.RequestException as exc:  # a failed call costs one cycle, not the bot
                log(f"cycle failed: {exc}")
                acted = False
            if acted:
                self.positions = self._paced(self.get_positions)
                log(f"positions {self._pos_text()}")
            else:
                time.sleep(self.poll)

    def arb_once(self) -> bool:
        """Look at the four books once; trade the basket if it is mispriced. True if it sent orders."""
        books = {symbol: self._book(symbol) for symbol in (ETF, *COMPONENTS)}
        if any(b is None for b in books.values()):
            return False
        etf_pos = self.positions.get(ETF, 0)
        # Buy the ETF, sell the components.
        etf_ask = best_ask(books[ETF])
        comp_bids = [best_bid(books[c]) for c in COMPONENTS]
        if etf_ask is not None and all(comp_bids):
            edge = sum(b[0] for b in comp_bids) - etf_ask[0]
            if edge > self.threshold:
                size = min([self.max_size, etf_ask[1], POSITION_LIMIT - etf_pos]
                           + [b[1] for b in comp_bids]
                           + [POSITION_LIMIT + self.positions.get(c, 0) for c in COMPONENTS])
                if size > 0:
                    log(f"basket cheap: ETF ask {etf_ask[0]} vs components' bids "
                        f"{[b[0] for b in comp_bids]} (sum {sum(b[0] for b in comp_bids)}), edge {edge}, size {size}")
                    self.execute(Side.BUY, etf_ask[0], [b[0] for b in comp_bids], size)
                    return True
        # Sell the ETF, buy the components.
        etf_bid = best_bid(books[ETF])
        comp_asks = [best_ask(books[c]) for c in COMPONENTS]
        if etf_bid is not None and all(comp_asks):
            edge = etf_bid[0] - sum(a[0] for a in comp_asks)
            if edge > self.threshold:
                size = min([self.max_size, etf_bid[1], POSITION_LIMIT + etf_pos]
                           + [a[1] for a in comp_asks]
                           + [POSITION_LIMIT - self.positions.get(c, 0) for c in COMPONENTS])
                if size > 0:
                    log(f"basket rich: ETF bid {etf_bid[0]} vs components' asks "
                        f"{[a[0] for a in comp_asks]} (sum {sum(a[0] for a in comp_asks)}), edge {edge}, size {size}")
                    self.execute(Side.SELL, etf_bid[0], [a[0] for a in comp_asks], size)
                    return True
        return False

    def execute(self, etf_side: Side, etf_price: float, comp_prices: list[float], size: int) -> None:
        """The ETF leg first; then each component, opposite side, for what the ETF leg filled."""
        filled = self.ioc(ETF, etf_side, etf_price, size)
        if filled == 0:
            log("ETF leg did not fill: no hedge needed")
            return
        comp_side = Side.SELL if etf_side == Side.BUY else Side.BUY
        for symbol, price in zip(COMPONENTS, comp_prices):
            got = self.ioc(symbol, comp_side, price, filled)
            if got < filled:
                log(f"{symbol} leg short by {filled - got}: hedge to be repaired")

    def repair_hedge(self) -> bool:
        """If a component's position is not minus the ETF's, trade it back at the best price (one leg)."""
        etf_pos = self.positions.get(ETF, 0)
        for symbol in COMPONENTS:
            gap = -etf_pos - self.positions.get(symbol, 0)  # what we must buy (>0) or sell (<0)
            if gap == 0:
                continue
            book = self._book(symbol)
            level = best_ask(book) if gap > 0 else best_bid(book)
            if level is None:
                continue
            side = Side.BUY if gap > 0 else Side.SELL
            size = min(abs(gap), level[1], self.max_size)
            log(f"repair: {symbol} position {self.positions.get(symbol, 0)} vs ETF {etf_pos}: {side.value} {size}")
            self.ioc(symbol, side, level[0], size)
            return True
        return False

    def ioc(self, symbol: str, side: Side, price: float, volume: int) -> int:
        """Place-and-cancel: send a limit order, cancel whatever rests. Returns the filled quantity."""
        response = self._paced(lambda: self.send_order(OrderRequest(symbol, on_grid(price), side, volume)))
        if response is None:  # rejected: the client printed the exchange's reason
            return 0
        if response.volume > 0:
            cancelled = self._paced(lambda: self.cancel_order(response.id))
            if not cancelled:
                log(f"cancel of {response.id} failed: it may have filled meanwhile")
        log(f"IOC {side.value} {volume}x {symbol} @ {price}: filled {response.filled}")
        return response.filled

    # --- helpers -----------------------------------------------------------------------------

    def _book(self, symbol: str) -> OrderBook | None:
        with self._books_lock:
            book = self._books.get(symbol)
        if book is None:
            book = self._paced(lambda: self.get_orderbook(symbol))
            with self._books_lock:
                self._books.setdefault(symbol, book)
        return book

    def _pos_text(self) -> str:
        return ", ".join(f"{s} {self.positions.get(s, 0)}" for s in (ETF, *COMPONENTS))

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


def main() -> None:
    parser = argparse.ArgumentParser(description="Arbitrage LON_ETF against TIDE_SPOT + WX_SPOT + LHR_COUNT.")
    parser.add_argument("--url", default=DEFAULT_URL, help="exchange base URL (default: the real test exchange)")
    parser.add_argument("--username", default="etf_arb", help="account name")
    parser.add_argument("--password", default="etf-arb-password", help="account password")
    parser.add_argument("--threshold", type=float, default=5, help="minimum edge per basket, in price units")
    parser.add_argument("--max-size", type=int, default=10, help="largest basket per trade")
    parser.add_argument("--poll", type=float, default=1.0, help="seconds to wait when there is nothing to do")
    args = parser.parse_args()

    bot = EtfArb(args.url, args.username, args.password, threshold=args.threshold,
                 max_size=args.max_size, poll=args.poll)
    bot.start()
    try:
        bot.run_loop()
    except KeyboardInterrupt:
        bot.stop()


if __name__ == "__main__":
    main()
