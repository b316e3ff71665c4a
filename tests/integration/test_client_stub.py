"""cmi_sim.client against a hand-written stub exchange on 127.0.0.1 (no other network)."""

from __future__ import annotations

import importlib.util
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
import requests

from cmi_sim.client import (
    AuthenticationError,
    BaseBot,
    Order,
    OrderBook,
    OrderRequest,
    OrderResponse,
    Product,
    Side,
    Trade,
)
from stub_exchange import ORDER_ID, TOKEN_PREFIX, StubExchange

PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY",
                   "http_proxy", "https_proxy", "all_proxy", "no_proxy")


@pytest.fixture(autouse=True)
def _no_proxy_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    # A proxy set on the machine would send 127.0.0.1 requests elsewhere.
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def stub() -> Iterator[StubExchange]:
    with StubExchange() as server:
        yield server


class RecordingBot(BaseBot):
    """Collects what the stream delivers, and signals the first of each kind."""

    def __init__(self, cmi_url: str, username: str, password: str) -> None:
        super().__init__(cmi_url, username, password)
        self.books: list[OrderBook] = []
        self.fills: list[list[Trade]] = []
        self.got_book = threading.Event()
        self.got_fills = threading.Event()

    def on_orderbook(self, orderbook: OrderBook) -> None:
        self.books.append(orderbook)
        self.got_book.set()

    def on_trades(self, trades: list[Trade]) -> None:
        self.fills.append(trades)
        self.got_fills.set()


def wait_until(condition, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


# --- login and URLs ------------------------------------------------------------------------------

def test_login_token_replayed_verbatim_on_every_request(stub: StubExchange) -> None:
    bot = BaseBot(stub.url, "alice", "pw")
    bot.get_products()
    bot.get_positions()
    assert bot.auth_token == TOKEN_PREFIX + "alice"
    login, *calls = stub.state.requests
    assert login.method == "POST" and login.body == {"username": "alice", "password": "pw"}
    assert "Authorization" not in login.headers
    assert [c.headers["Authorization"] for c in calls] == [TOKEN_PREFIX + "alice"] * 2


def test_login_wrong_password_raises_authentication_error(stub: StubExchange) -> None:
    with pytest.raises(AuthenticationError, match="401"):
        BaseBot(stub.url, "alice", "wrong")


@pytest.mark.parametrize("suffix", ["", "/", "//"])
def test_base_url_with_or_without_trailing_slash_sends_single_slash_paths(stub: StubExchange, suffix: str) -> None:
    bot = BaseBot(stub.url + suffix, "alice", "pw")
    assert len(bot.get_products()) == 8
    assert [r.path for r in stub.state.requests] == ["/api/user/authenticate", "/api/product"]


# --- REST methods -------------------------------------------------------------------------------

def test_get_products_returns_products_in_exchange_order(stub: StubExchange) -> None:
    products = BaseBot(stub.url, "alice", "pw").get_products()
    assert products[0] == Product(symbol="TIDE_SPOT", tickSize=1, startingPrice=10, contractSize=1)
    assert [p.symbol for p in products][-1] == "LON_FLY"


def test_send_order_accepted_returns_order_response_and_posts_json(stub: StubExchange) -> None:
    bot = BaseBot(stub.url, "alice", "pw")
    response = bot.send_order(OrderRequest(product="TIDE_SPOT", price=2610, side=Side.BUY, volume=5))
    assert isinstance(response, OrderResponse)
    assert (response.status, response.side, response.price, response.volume, response.user) == (
        "ACTIVE", "BUY", 2610, 5, "alice")
    post = stub.requests_to("/api/order")[-1]
    assert post.method == "POST"
    assert post.body == {"product": "TIDE_SPOT", "price": 2610, "side": "BUY", "volume": 5}
    assert post.headers["Content-Type"].startswith("application/json")


def test_send_order_rejected_prints_server_message_and_returns_none(
    stub: StubExchange, capsys: pytest.CaptureFixture[str]
) -> None:
    bot = BaseBot(stub.url, "alice", "pw")
    assert bot.send_order(OrderRequest(product="NOPE", price=10, side=Side.SELL, volume=1)) is None
    assert "unknown product NOPE" in capsys.readouterr().out


def test_send_orders_sends_each_and_returns_accepted_in_request_order(stub: StubExchange) -> None:
    bot = BaseBot(stub.url, "alice", "pw")
    requests_ = [OrderRequest("TIDE_SPOT", 100 + i, Side.SELL, 1) for i in range(4)]
    requests_.insert(2, OrderRequest("NOPE", 1, Side.BUY, 1))
    responses = bot.send_orders(requests_)
    assert [r.price for r in responses] == [100, 101, 102, 103]
    assert len([r for r in stub.requests_to("/api/order") if r.method == "POST"]) == 5


def test_cancel_order_known_true_unknown_false(stub: StubExchange) -> None:
    bot = BaseBot(stub.url, "alice", "pw")
    assert bot.cancel_order(ORDER_ID) is True
    assert bot.cancel_order("00000000-0000-0000-0000-000000000000") is False
    assert stub.requests_to("/api/order/")[0].method == "DELETE"


def test_cancel_all_orders_lists_then_deletes_each(stub: StubExchange) -> None:
    bot = BaseBot(stub.url, "alice", "pw")
    bot.cancel_all_orders()
    calls = [(r.method, r.path) for r in stub.state.requests[1:]]
    assert calls == [("GET", "/api/order/current-user"),
                     ("DELETE", f"/api/order/{ORDER_ID}"),
                     ("DELETE", "/api/order/8728761d-c1d0-44c6-a9b0-8e3a28e1b8a3")]


def test_get_orders_with_product_sends_productsymbol_filter(stub: StubExchange) -> None:
    bot = BaseBot(stub.url, "alice", "pw")
    assert len(bot.get_orders()) == 2
    filtered = bot.get_orders("WX_SPOT")
    assert [type(o) for o in filtered] == [Order] and filtered[0].filled == 2
    assert stub.state.requests[-1].path == "/api/order/current-user?productsymbol=WX_SPOT"


def test_get_positions_maps_product_to_net_position(stub: StubExchange) -> None:
    positions = BaseBot(stub.url, "alice", "pw").get_positions()
    assert positions["WX_SPOT"] == -48 and positions["LON_ETF"] == 30 and len(positions) == 8


def test_get_orderbook_keeps_best_first_levels_with_own_volume(stub: StubExchange) -> None:
    book = BaseBot(stub.url, "alice", "pw").get_orderbook("TIDE_SPOT")
    assert (book.product, book.tick_size) == ("TIDE_SPOT", 1)
    assert [lvl.price for lvl in book.buy_orders] == [2618, 2616, 2614, 2588, 2275]
    assert [lvl.price for lvl in book.sell_orders] == [2814.0, 2886.0, 3128.0, 3333, 3705]
    assert book.sell_orders[-1].volume == 20.0 and book.sell_orders[-1].own_volume == 0.0
    assert stub.state.requests[-1].path == "/api/product/TIDE_SPOT/order-book/current-user"


def test_get_pnl_returns_exchange_json(stub: StubExchange) -> None:
    pnl = BaseBot(stub.url, "alice", "pw").get_pnl()
    assert pnl["totalProfit"] == -47206.0 and len(pnl["details"]) == 8


def test_get_market_trades_with_from_sends_filter_and_parses_trades(stub: StubExchange) -> None:
    bot = BaseBot(stub.url, "alice", "pw")
    assert len(bot.get_market_trades()) == 2
    later = bot.get_market_trades(from_timestamp="2026-03-01T02:17:02.000000002Z")
    assert later == [Trade("2026-03-01T02:17:02.000000002Z", "WX_SPOT", "carol", "alice", 4, 4693)]
    assert "from=2026-03-01T02%3A17%3A02.000000002Z" in stub.state.requests[-1].path


def test_rest_error_status_raises_http_error_with_server_message(stub: StubExchange) -> None:
    bot = BaseBot(stub.url, "alice", "pw")
    bot._connection.auth_token = "Bearer forged"  # what an expired or foreign token looks like
    with pytest.raises(requests.HTTPError, match="missing or invalid token"):
        bot.get_products()


# --- market stream ------------------------------------------------------------------------------

def test_stream_events_dispatch_to_on_orderbook_and_on_trades(stub: StubExchange) -> None:
    stub.state.hold_stream_open = True
    bot = RecordingBot(stub.url, "alice", "pw")
    bot.start()
    try:
        assert bot.got_book.wait(5) and bot.got_fills.wait(5)
    finally:
        bot.stop()
    book = bot.books[0]
    assert book.product == "TIDE_SPOT" and book.tick_size == 1
    assert [lvl.price for lvl in book.buy_orders] == [2618.0, 2614.0, 946.0]
    assert [lvl.price for lvl in book.sell_orders] == [2814.0, 3128.0, 3705.0]
    assert book.buy_orders[0].own_volume == 1.0
    assert bot.fills[0] == [Trade("2026-03-01T02:17:03.000000003Z", "TIDE_SPOT", "", "alice", 2, 3006.0)]


def test_stream_request_sends_token_and_event_stream_accept(stub: StubExchange) -> None:
    stub.state.hold_stream_open = True
    bot = RecordingBot(stub.url + "/", "alice", "pw")
    bot.start()
    try:
        assert bot.got_book.wait(5)
    finally:
        bot.stop()
    stream_request = stub.requests_to("/api/market/stream")[0]
    assert stream_request.path == "/api/market/stream"
    assert stream_request.headers["Authorization"] == TOKEN_PREFIX + "alice"
    assert stream_request.headers["Accept"] == "text/event-stream; charset=utf-8"


def test_stream_end_reconnects_and_delivers_again(stub: StubExchange) -> None:
    stub.state.hold_stream_open = False  # each connection sends its events, then ends
    bot = RecordingBot(stub.url, "alice", "pw")
    bot.start()
    try:
        assert wait_until(lambda: stub.state.stream_connections >= 2 and len(bot.books) >= 2)
    finally:
        bot.stop()


def test_stop_on_silent_open_stream_returns_within_five_seconds(stub: StubExchange) -> None:
    stub.state.hold_stream_open = True
    stub.state.ping_interval = 20.0  # the reader sits in recv with nothing coming
    bot = RecordingBot(stub.url, "alice", "pw")
    bot.start()
    assert bot.got_book.wait(5)
    started = time.monotonic()
    bot.stop()
    assert time.monotonic() - started < 5
    assert not bot._sse_thread.is_alive()  # woken and finished, not merely abandoned by join(5)
    connections = stub.state.stream_connections
    time.sleep(1.5)  # longer than the reconnect pause: a stopped bot must not come back
    assert stub.state.stream_connections == connections


def test_stream_callback_error_keeps_stream_alive(
    stub: StubExchange, capsys: pytest.CaptureFixture[str]
) -> None:
    class FaultyBot(RecordingBot):
        def on_orderbook(self, orderbook: OrderBook) -> None:
            raise ValueError("bot bug")

    stub.state.hold_stream_open = True
    bot = FaultyBot(stub.url, "alice", "pw")
    bot.start()
    try:
        assert bot.got_fills.wait(5)  # the trade event after the failing order event still arrives
    finally:
        bot.stop()
    assert stub.state.stream_connections == 1
    assert "bot bug" in capsys.readouterr().err


# --- bots/quoter.py on this client ---------------------------------------------------------------

QUOTER_PATH = Path(__file__).resolve().parents[2] / "bots" / "quoter.py"


@pytest.fixture
def quoter_module(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    monkeypatch.syspath_prepend(str(QUOTER_PATH.parent))  # the quoter imports bot_template beside it
    spec = importlib.util.spec_from_file_location("bots_quoter", QUOTER_PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_quoter_cycle_cancels_then_quotes_around_mid_skipping_side_over_limit(
    stub: StubExchange, quoter_module: ModuleType
) -> None:
    bot = quoter_module.SimpleQuoter(stub.url, "alice", "pw")
    bot.REQUEST_SPACING = 0.0
    products = [p for p in bot.get_products() if p.symbol in ("TIDE_SPOT", "WX_SPOT")]
    stub.state.requests.clear()
    # Stub positions: TIDE_SPOT -6, WX_SPOT -48; selling 60 more WX_SPOT would reach -108.
    bot.quote_once(products, width=5, volume=60)
    calls = [(r.method, r.path.split("?")[0]) for r in stub.state.requests]
    assert calls[:4] == [("GET", "/api/order/current-user"), ("DELETE", f"/api/order/{ORDER_ID}"),
                         ("DELETE", "/api/order/8728761d-c1d0-44c6-a9b0-8e3a28e1b8a3"),
                         ("GET", "/api/position/current-user")]
    posted = [r.body for r in stub.state.requests if r.method == "POST"]
    # Stub book: best bid 2618, best ask 2814.0, so the mid is 2716.
    assert posted == [
        {"product": "TIDE_SPOT", "price": 2711, "side": "BUY", "volume": 60},
        {"product": "TIDE_SPOT", "price": 2721, "side": "SELL", "volume": 60},
        {"product": "WX_SPOT", "price": 2711, "side": "BUY", "volume": 60},
    ]


def test_quoter_requests_spaced_at_least_request_spacing(stub: StubExchange, quoter_module: ModuleType) -> None:
    bot = quoter_module.SimpleQuoter(stub.url, "alice", "pw", products=["TIDE_SPOT"])
    bot.REQUEST_SPACING = 0.2  # scaled down from the exchange's 1 s to keep the test short
    products = bot._paced(bot.get_products)
    bot.quote_once([p for p in products if p.symbol == "TIDE_SPOT"], width=5, volume=5)
    times = [r.received_at for r in stub.state.requests[1:]]  # after login
    assert len(times) == 8
    assert min(later - earlier for earlier, later in zip(times, times[1:])) >= 0.2
