"""Shaped like the organisers' walkthrough: a BaseBot subclass with SSE callbacks on a thread, a worker
thread, sleeps via `from time import sleep`, IOC by place-and-cancel and UTC timestamps. It logs what it
does as JSON lines on stdout, so a test can check it behaved as it would live."""

import json
import threading
import time
from datetime import datetime, timezone
from time import sleep

from bot_template import BaseBot, OrderBook, OrderRequest, Side, Trade

EXCHANGE = "http://ec2-52-49-69-152.eu-west-1.compute.amazonaws.com/"


def log(**fields):
    fields["utc"] = datetime.now(timezone.utc).isoformat()
    print(json.dumps(fields), flush=True)


class WalkthroughBot(BaseBot):
    def __init__(self, *args):
        super().__init__(*args)
        self.books = {}
        self.lock = threading.Lock()
        self.fills = 0

    def on_orderbook(self, orderbook: OrderBook) -> None:
        with self.lock:
            self.books[orderbook.product] = orderbook

    def on_trades(self, trades: list[Trade]) -> None:
        with self.lock:
            self.fills += len(trades)

    def ioc(self, product: str, side: Side, price: float, volume: int) -> int:
        """Immediate-or-cancel by place-and-cancel: returns the filled volume."""
        response = self.send_order(OrderRequest(product, price, side, volume))
        if response is None:
            return 0
        if response.volume > 0:
            self.cancel_order(response.id)
        return response.filled


def heartbeat(stop: threading.Event) -> None:
    beats = 0
    while not stop.wait(60):
        beats += 1
    log(event="heartbeat_done", beats=beats)


if __name__ == "__main__":
    bot = WalkthroughBot(EXCHANGE, "walkthrough", "secret")
    log(event="start", monotonic=time.monotonic())
    bot.start()
    stop = threading.Event()
    worker = threading.Thread(target=heartbeat, args=(stop,), daemon=False)
    worker.start()
    try:
        for cycle in range(1000):
            before = time.time()
            sleep(5)
            log(event="slept", seconds=round(time.time() - before, 6))
            with bot.lock:
                book = bot.books.get("TIDE_SPOT")
            if book is not None and book.sell_orders:
                best_ask = book.sell_orders[0].price
                filled = bot.ioc("TIDE_SPOT", Side.BUY, best_ask, 1)
                open_orders = bot.get_orders()
                log(event="ioc", price=best_ask, filled=filled, open_orders=len(open_orders))
                sleep(1)
                log(event="position", positions=bot.get_positions())
            sleep(1)
    except KeyboardInterrupt:
        log(event="interrupted", fills=bot.fills)
        stop.set()
        worker.join(5)
        bot.stop()
