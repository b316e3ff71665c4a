"""A real cmi-sim API server on 127.0.0.1 with an ephemeral port, for integration tests."""

from __future__ import annotations

import time
from dataclasses import dataclass

import requests

from cmi_sim.api.app import create_app
from cmi_sim.api.server import ExchangeServer
from cmi_sim.api.service import ExchangeService
from cmi_sim.exchange import Exchange, ExchangeRules
from cmi_sim.products import cmi_products


@dataclass
class LiveExchange:
    url: str
    server: ExchangeServer
    service: ExchangeService

    @property
    def exchange(self) -> Exchange:
        return self.service.exchange

    def login(self, username: str, password: str = "pw") -> dict[str, str]:
        reply = requests.post(f"{self.url}/api/user/authenticate", json={"username": username, "password": password},
                              timeout=5)
        assert reply.status_code == 200, reply.text
        return {"Authorization": reply.headers["Authorization"]}

    def books(self) -> list:
        """Every product's depth, read on the server loop (the single writer)."""
        return self.server.call(lambda: [self.exchange.depth(p) for p in self.exchange.products])


def start_live_exchange(rules: ExchangeRules | None = None) -> LiveExchange:
    exchange = Exchange(cmi_products(), rules or ExchangeRules(rate_limit="off"))
    service = ExchangeService(exchange, time.time_ns)
    server = ExchangeServer(create_app(service))
    url = server.start_in_thread()
    return LiveExchange(url, server, service)
