"""Every response shape against the contract and the golden samples of the real exchange."""

from __future__ import annotations

import json
import re

import pytest

from cmi_sim.api import wire
from cmi_sim.api.service import ExchangeService
from cmi_sim.engine import BUY, SELL
from cmi_sim.exchange import Exchange, ExchangeRules, parse_timestamp
from cmi_sim.products import CMI_SYMBOLS, cmi_products

NINE_DIGITS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$")
T0 = parse_timestamp("2026-02-28T14:25:39.048403030Z")


@pytest.fixture
def samples(test_data):
    return json.loads((test_data / "cmi-wire-samples.json").read_text())


class Client:
    """Drives ExchangeService.handle directly, with a clock that ticks 1 ms per request."""

    def __init__(self, rules: ExchangeRules | None = None) -> None:
        self.now = T0
        self.service = ExchangeService(Exchange(cmi_products(), rules or ExchangeRules(rate_limit="off")),
                                       self._clock)

    def _clock(self) -> int:
        self.now += 1_000_000
        return self.now

    def login(self, user: str) -> dict[str, str]:
        reply = self.service.handle("POST", "/api/user/authenticate", {}, {}, wire.dumps({"username": user,
                                                                                          "password": "pw"}))
        return {"Authorization": dict(reply.headers)["Authorization"]}

    def call(self, method: str, path: str, headers: dict, body: object = None, query: dict | None = None):
        raw = wire.dumps(body) if body is not None else b""
        reply = self.service.handle(method, path, query or {}, headers, raw)
        return reply.status, json.loads(reply.body)


@pytest.fixture
def client() -> Client:
    return Client()


def order_keys_from_printed(printed: str) -> list[str]:
    return re.findall(r"(\w+)=", printed.split("(", 1)[1])


def test_product_list_matches_the_real_test_exchange(client, samples):
    status, products = client.call("GET", "/api/product", client.login("a"))
    golden = samples["products_test_exchange"]
    assert status == 200
    assert [p["symbol"] for p in products] == golden["order"] == list(CMI_SYMBOLS)
    for product in products:
        assert list(product) == list(wire.PRODUCT_KEYS)
        assert (product["tickSize"], product["startingPrice"], product["contractSize"]) == (
            golden["tickSize"], golden["startingPrice"], golden["contractSize"])
        assert all(type(product[k]) is int for k in ("tickSize", "startingPrice", "contractSize"))


def test_order_response_has_the_golden_key_set_and_types(client, samples):
    status, order = client.call("POST", "/api/order", client.login("a"),
                                {"product": "TIDE_SPOT", "price": 1, "side": "BUY", "volume": 1})
    assert status == 200
    for sample in samples["order_response_resting"]:
        assert list(order) == order_keys_from_printed(sample["printed"]) == list(wire.ORDER_KEYS)
    assert order["status"] == "ACTIVE" and order["side"] == "BUY" and order["price"] == 1.0
    assert type(order["volume"]) is int and type(order["filled"]) is int
    assert order["targetUser"] is None and order["message"] == "" and order["user"] == "a"
    assert NINE_DIGITS.match(order["timestamp"])
    assert re.match(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$", order["id"])


def test_order_volume_setting_reports_original_size():
    client = Client(ExchangeRules(rate_limit="off", order_volume="original"))
    seller, buyer = client.login("s"), client.login("b")
    client.call("POST", "/api/order", seller, {"product": "WX_SPOT", "price": 10, "side": "SELL", "volume": 2})
    _, order = client.call("POST", "/api/order", buyer, {"product": "WX_SPOT", "price": 10, "side": "BUY",
                                                         "volume": 5})
    assert (order["status"], order["volume"], order["filled"]) == ("PART_FILLED", 5, 2)


def test_listed_cancelled_and_filled_orders_share_the_key_set(client):
    seller, buyer = client.login("s"), client.login("b")
    _, resting = client.call("POST", "/api/order", seller, {"product": "WX_SPOT", "price": 10, "side": "SELL",
                                                            "volume": 5})
    _, filled = client.call("POST", "/api/order", buyer, {"product": "WX_SPOT", "price": 10, "side": "BUY",
                                                          "volume": 2})
    assert (filled["status"], filled["volume"], filled["filled"]) == ("FILLED", 0, 2)
    _, listed = client.call("GET", "/api/order/current-user", seller)
    status, cancelled = client.call("DELETE", f"/api/order/{resting['id']}", seller)
    assert status == 200
    for order in (filled, listed[0], cancelled):
        assert list(order) == list(wire.ORDER_KEYS)
    assert (listed[0]["status"], listed[0]["volume"], listed[0]["filled"]) == ("PART_FILLED", 3, 2)
    assert cancelled["id"] == resting["id"] and cancelled["volume"] == 3


def test_trades_have_the_exact_key_set_and_strictly_increasing_timestamps(client):
    seller, buyer = client.login("s"), client.login("b")
    client.call("POST", "/api/order", seller, {"product": "LON_FLY", "price": 100, "side": "SELL", "volume": 1})
    client.call("POST", "/api/order", seller, {"product": "LON_FLY", "price": 101, "side": "SELL", "volume": 1})
    client.call("POST", "/api/order", buyer, {"product": "LON_FLY", "price": 101, "side": "BUY", "volume": 2})
    _, trades = client.call("GET", "/api/trade", buyer)
    assert [list(t) for t in trades] == [list(wire.TRADE_KEYS)] * 2
    assert all(NINE_DIGITS.match(t["timestamp"]) for t in trades)
    assert trades[0]["timestamp"] < trades[1]["timestamp"]  # same order, same nanosecond: spread apart
    assert [(t["buyer"], t["seller"], t["volume"], t["price"]) for t in trades] == [("b", "s", 1, 100.0),
                                                                                    ("b", "s", 1, 101.0)]
    assert all(type(t["volume"]) is int for t in trades)
    _, since = client.call("GET", "/api/trade", buyer, query={"from": trades[1]["timestamp"]})
    assert since == trades[1:]


def test_rest_book_levels_are_floats_best_first_with_own_share(client):
    a, b = client.login("a"), client.login("b")
    for user, price, side, volume in [(a, 10, "BUY", 1), (b, 12, "BUY", 2), (a, 12, "BUY", 3), (b, 20, "SELL", 4)]:
        client.call("POST", "/api/order", user, {"product": "TIDE_SWING", "price": price, "side": side,
                                                 "volume": volume})
    status, book = client.call("GET", "/api/product/TIDE_SWING/order-book/current-user", a)
    assert status == 200 and list(book) == ["product", "tickSize", "buy", "sell"]
    assert book["buy"] == [{"price": 12.0, "volume": 5.0, "userOrderVolume": 3.0},
                           {"price": 10.0, "volume": 1.0, "userOrderVolume": 1.0}]
    assert book["sell"] == [{"price": 20.0, "volume": 4.0, "userOrderVolume": 0.0}]
    assert all(type(level[k]) is float for level in book["buy"] + book["sell"] for k in level)


def test_positions_and_profit_shapes_match_the_samples(client, samples):
    seller, buyer = client.login("s"), client.login("b")
    assert client.call("GET", "/api/position/current-user", buyer) == (200, [])
    client.call("POST", "/api/order", seller, {"product": "LHR_COUNT", "price": 1200, "side": "SELL", "volume": 3})
    client.call("POST", "/api/order", buyer, {"product": "LHR_COUNT", "price": 1200, "side": "BUY", "volume": 3})
    _, positions = client.call("GET", "/api/position/current-user", buyer)
    assert positions == [{"product": "LHR_COUNT", "netPosition": 3, "volume": 3}]
    assert all(type(p["netPosition"]) is int for p in positions)
    _, profit = client.call("GET", "/api/profit/current-user", buyer)
    golden = samples["profit_current_user"][0]["json"]
    assert list(profit) == list(golden)
    assert list(profit["details"][0]) == list(golden["details"][0])
    assert profit == {"user": "b", "totalProfit": 0.0, "details": [{"product": "LHR_COUNT", "profit": 0.0}]}
    assert type(profit["totalProfit"]) is float


def test_sse_book_and_trade_frames_match_the_contract(client):
    seller, buyer = client.login("s"), client.login("b")
    subscription = client.service.open_stream(buyer)
    snapshot = subscription.take().decode()
    assert snapshot.count("event: order\n") == 8 and "\r" not in snapshot
    client.call("POST", "/api/order", buyer, {"product": "WX_SUM", "price": 3000, "side": "BUY", "volume": 5})
    client.call("POST", "/api/order", seller, {"product": "WX_SUM", "price": 2990, "side": "SELL", "volume": 2})
    frames = [f for f in subscription.take().decode().split("\n\n") if f]
    kinds = [f.split("\n")[0] for f in frames]
    assert kinds == ["event: order", "event: order", "event: trade"]
    book = json.loads(frames[1].split("\n")[1].removeprefix("data: "))
    assert book == {"productsymbol": "WX_SUM", "tickSize": 1,
                    "buyOrders": {"3000.0": {"marketVolume": 3.0, "userVolume": 3.0}}, "sellOrders": {}}
    assert all(float(price) == 3000.0 for price in book["buyOrders"])
    [trade] = json.loads(frames[2].split("\n")[1].removeprefix("data: "))
    assert list(trade) == list(wire.TRADE_KEYS)
    assert (trade["buyer"], trade["seller"]) == ("b", "")  # counterparty blanked, as in the logged samples
