"""Our compatible client against a real uvicorn server: every call a bot makes, end to end."""

from __future__ import annotations

import threading
import time

from cmi_sim.client import BaseBot, OrderBook, OrderRequest, Side, Trade
from cmi_sim.exchange.timestamps import format_timestamp, parse_timestamp


class RecordingBot(BaseBot):
    def __init__(self, *args) -> None:
        super().__init__(*args)
        self.books: list[OrderBook] = []
        self.fills: list[Trade] = []
        self.changed = threading.Event()

    def on_orderbook(self, orderbook: OrderBook) -> None:
        self.books.append(orderbook)
        self.changed.set()

    def on_trades(self, trades: list[Trade]) -> None:
        self.fills.extend(trades)
        self.changed.set()


def wait_until(condition, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


def test_client_session_across_two_accounts_trades_and_reports(live):
    maker = RecordingBot(live.url, "maker", "pw")
    taker = RecordingBot(live.url + "/", "taker", "pw")  # a trailing slash, as many bots configure it
    maker.start()
    try:
        assert [p.symbol for p in maker.get_products()][:2] == ["TIDE_SPOT", "TIDE_SWING"]

        resting = maker.send_order(OrderRequest("TIDE_SPOT", 2950, Side.SELL, 10))
        assert resting.status == "ACTIVE" and resting.volume == 10 and resting.filled == 0
        assert resting.user == "maker" and resting.targetUser is None and resting.message == ""

        partial = taker.send_order(OrderRequest("TIDE_SPOT", 2960, Side.BUY, 4))
        assert partial.status == "FILLED" and partial.filled == 4 and partial.volume == 0

        [open_order] = maker.get_orders()
        assert open_order.id == resting.id and open_order.status == "PART_FILLED"
        assert open_order.volume == 6 and open_order.filled == 4

        assert maker.get_positions() == {"TIDE_SPOT": -4}
        assert taker.get_positions() == {"TIDE_SPOT": 4}
        pnl = maker.get_pnl()
        assert pnl["user"] == "maker" and pnl["details"] == [{"product": "TIDE_SPOT", "profit": 0.0}]

        book = taker.get_orderbook("TIDE_SPOT")
        assert [(level.price, level.volume, level.own_volume) for level in book.sell_orders] == [(2950.0, 6.0, 0.0)]

        trades = taker.get_market_trades()
        assert [(t.buyer, t.seller, t.volume, t.price) for t in trades] == [("taker", "maker", 4, 2950.0)]
        assert taker.get_market_trades(from_timestamp=trades[0].timestamp) == trades
        later = format_timestamp(parse_timestamp(trades[0].timestamp) + 1)  # one nanosecond after the trade
        assert taker.get_market_trades(from_timestamp=later) == []

        # The maker's stream saw the book change and its own fill, counterparty blanked.
        assert wait_until(lambda: maker.fills)
        [fill] = maker.fills
        assert (fill.seller, fill.buyer, fill.volume) == ("maker", "", 4)
        assert wait_until(lambda: any(b.product == "TIDE_SPOT" and b.sell_orders
                                      and b.sell_orders[0].volume == 6.0 for b in maker.books))

        assert maker.cancel_order(resting.id) is True
        assert maker.cancel_order(resting.id) is False  # already gone: 404
        assert maker.get_orders() == []

        maker.send_orders([OrderRequest("WX_SPOT", 4400, Side.BUY, 1), OrderRequest("WX_SPOT", 4500, Side.SELL, 1),
                           OrderRequest("LON_ETF", 8000, Side.BUY, 2)])
        assert len(maker.get_orders()) == 3
        assert len(maker.get_orders("WX_SPOT")) == 2
        maker.cancel_all_orders()
        assert maker.get_orders() == []
        assert live.books()[2].bids == [] and live.books()[2].asks == []
    finally:
        maker.stop()
