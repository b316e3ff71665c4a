"""A bot that only defines a class, as some competitors shared them."""

import time

from bot_template import BaseBot, OrderRequest, Side


class TinyQuoter(BaseBot):
    def run_loop(self, price: int = 2000, volume: int = 1, interval: float = 30) -> None:
        while True:
            self.cancel_all_orders()
            time.sleep(1)
            self.send_order(OrderRequest("TIDE_SPOT", price, Side.BUY, volume))
            time.sleep(interval)
