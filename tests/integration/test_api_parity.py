"""The live app (uvicorn + FastAPI) and the in-process route table the backtester uses are one
implementation: the same requests give the same bytes."""

from __future__ import annotations

import requests

from cmi_sim.api import wire
from cmi_sim.api.app import create_app
from cmi_sim.api.server import ExchangeServer
from cmi_sim.api.service import ExchangeService
from cmi_sim.exchange import Exchange, ExchangeRules, parse_timestamp
from cmi_sim.products import cmi_products


class SteppingClock:
    def __init__(self) -> None:
        self.now = parse_timestamp("2026-02-28T15:00:00Z")

    def __call__(self) -> int:
        self.now += 1_000_000
        return self.now


def service() -> ExchangeService:
    return ExchangeService(Exchange(cmi_products(), ExchangeRules(rate_limit="off")), SteppingClock())


STEPS = [
    ("POST", "/api/order", "s", {"product": "WX_SUM", "price": 3000, "side": "SELL", "volume": 5}),
    ("POST", "/api/order", "b", {"product": "WX_SUM", "price": 3000, "side": "BUY", "volume": 2}),
    ("GET", "/api/order/current-user", "s", None),
    ("GET", "/api/trade", "b", None),
    ("GET", "/api/profit/current-user", "s", None),
    ("GET", "/api/position/current-user", "b", None),
    ("GET", "/api/product/WX_SUM/order-book/current-user", "s", None),
    ("POST", "/api/order", "b", {"product": "WX_SUM", "price": 3000.5, "side": "BUY", "volume": 2}),
    ("DELETE", "/api/order?product=WX_SUM&price=3000", "s", None),
    ("GET", "/api/nowhere", "s", None),
]


JSON = {"Content-Type": "application/json"}


def test_live_server_and_direct_dispatch_answer_byte_identically():
    direct, served = service(), service()
    server = ExchangeServer(create_app(served))
    url = server.start_in_thread()
    try:
        tokens = {}
        for user in ("s", "b"):
            body = wire.dumps({"username": user, "password": "pw"})
            expected = direct.handle("POST", "/api/user/authenticate", {}, JSON, body)
            got = requests.post(f"{url}/api/user/authenticate", data=body, headers=JSON, timeout=5)
            assert got.headers["Authorization"] == dict(expected.headers)["Authorization"]  # same seeded tokens
            tokens[user] = got.headers["Authorization"]
        for method, target, user, body in STEPS:
            raw = wire.dumps(body) if body is not None else b""
            path, _, query = target.partition("?")
            params = dict(pair.split("=") for pair in query.split("&")) if query else {}
            headers = {"Authorization": tokens[user], **JSON}
            expected = direct.handle(method, path, params, headers, raw)
            got = requests.request(method, url + target, data=raw, headers=headers, timeout=5)
            assert (got.status_code, got.content) == (expected.status, expected.body), target
            assert got.headers["content-type"] == "application/json; charset=utf-8"
    finally:
        server.stop()
