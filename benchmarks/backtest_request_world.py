"""The smallest sandbox environment for the transport benchmark: fixed small JSON answers, no market."""

from __future__ import annotations

import json
from typing import Any, Mapping

from cmi_sim.sandbox import ConnectionRefused, Environment, Reply

JSON = {"Content-Type": "application/json; charset=utf-8"}
PRODUCTS = json.dumps(
    [{"symbol": "TIDE", "tickSize": 1, "startingPrice": 100, "contractSize": 1},
     {"symbol": "WX", "tickSize": 1, "startingPrice": 50, "contractSize": 1}]
).encode()
BOOK = json.dumps({"product": "TIDE", "buy": [{"price": 99, "volume": 3}], "sell": [{"price": 101, "volume": 2}]}).encode()
PREFIX = "http://exchange.test/api/"


class Exchange:
    def __init__(self) -> None:
        self.n_orders = 0

    def route(self, method: str, url: str, headers: Mapping[str, str], body: bytes | None) -> Reply:
        if not url.startswith(PREFIX):
            raise ConnectionRefused(url)
        path = url[len(PREFIX):].partition("?")[0]
        if path == "product":
            return Reply(200, PRODUCTS, JSON)
        if path == "orderbook":
            return Reply(200, BOOK, JSON)
        if path == "order" and method == "POST":
            order = json.loads(body or b"{}")
            self.n_orders += 1
            return Reply(200, json.dumps({"id": self.n_orders, "price": order.get("price")}).encode(), JSON)
        if path.startswith("order/") and method == "DELETE":
            return Reply(200, b'{"cancelled": true}', JSON)
        return Reply(404, b'{"error": "not found"}', JSON)


def make_environment(ctx: Any) -> Environment:
    exchange = Exchange()
    return Environment(exchange.route, result=lambda: {"orders": exchange.n_orders})
