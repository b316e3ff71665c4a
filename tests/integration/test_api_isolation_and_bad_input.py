"""Accounts are isolated, every endpoint but login needs a token, and bad input is a clear 4xx that
changes nothing."""

from __future__ import annotations

import pytest
import requests

ENDPOINTS = [
    ("GET", "/api/product"),
    ("POST", "/api/order"),
    ("DELETE", "/api/order/00000000-0000-4000-8000-000000000001"),
    ("DELETE", "/api/order?product=TIDE_SPOT&price=10"),
    ("GET", "/api/order/current-user"),
    ("GET", "/api/product/TIDE_SPOT/order-book/current-user"),
    ("GET", "/api/position/current-user"),
    ("GET", "/api/profit/current-user"),
    ("GET", "/api/trade"),
    ("GET", "/api/market/stream"),
]


@pytest.mark.parametrize("method,path", ENDPOINTS)
@pytest.mark.parametrize("token", [None, "Bearer not-a-token"])
def test_endpoint_without_valid_token_is_401(live, method, path, token):
    headers = {"Authorization": token} if token else {}
    reply = requests.request(method, live.url + path, headers=headers, json={}, timeout=5)
    assert reply.status_code == 401
    assert reply.json()["message"]


def test_other_accounts_orders_are_invisible_and_uncancellable(live):
    alice, bob = live.login("alice"), live.login("bob")
    order = requests.post(f"{live.url}/api/order", headers=alice, timeout=5,
                          json={"product": "WX_SUM", "price": 3000, "side": "BUY", "volume": 7}).json()
    assert requests.get(f"{live.url}/api/order/current-user", headers=bob, timeout=5).json() == []
    denied = requests.delete(f"{live.url}/api/order/{order['id']}", headers=bob, timeout=5)
    assert denied.status_code == 404 and denied.json()["message"]
    assert requests.delete(f"{live.url}/api/order?product=WX_SUM&price=3000", headers=bob, timeout=5).json() == []
    book = requests.get(f"{live.url}/api/product/WX_SUM/order-book/current-user", headers=bob, timeout=5).json()
    assert book["buy"] == [{"price": 3000.0, "volume": 7.0, "userOrderVolume": 0.0}]
    assert [o["id"] for o in requests.get(f"{live.url}/api/order/current-user", headers=alice, timeout=5).json()] \
        == [order["id"]]


def test_wrong_password_for_existing_account_is_401(live):
    live.login("dave", "right")
    reply = requests.post(f"{live.url}/api/user/authenticate", json={"username": "dave", "password": "wrong"},
                          timeout=5)
    assert reply.status_code == 401 and "Authorization" not in reply.headers


BAD_ORDERS = [
    (b"{not json", "malformed JSON"),
    (b"", "empty"),
    (b"[1, 2]", "JSON object"),
    (b'{"product": "TIDE_SPOT", "price": 10, "side": "BUY"}', "missing volume"),
    (b'{"product": "TIDE_SPOT", "price": "10", "side": "BUY", "volume": 1}', "price must be a number"),
    (b'{"product": "TIDE_SPOT", "price": 10, "side": "BUY", "volume": "1"}', "volume must be a positive integer"),
    (b'{"product": "TIDE_SPOT", "price": 10, "side": "BUY", "volume": true}', "volume must be a positive integer"),
    (b'{"product": "TIDE_SPOT", "price": 10, "side": "HOLD", "volume": 1}', "side must be"),
    (b'{"product": 7, "price": 10, "side": "BUY", "volume": 1}', "product must be a string"),
    (b'{"product": "GOLD", "price": 10, "side": "BUY", "volume": 1}', "unknown product"),
    (b'{"product": "TIDE_SPOT", "price": 10.5, "side": "BUY", "volume": 1}', "tick grid"),
    (b'{"product": "TIDE_SPOT", "price": -10, "side": "BUY", "volume": 1}', "finite positive"),
    (b'{"product": "TIDE_SPOT", "price": 0, "side": "BUY", "volume": 1}', "finite positive"),
    (b'{"product": "TIDE_SPOT", "price": NaN, "side": "BUY", "volume": 1}', "NaN"),
    (b'{"product": "TIDE_SPOT", "price": Infinity, "side": "BUY", "volume": 1}', "Infinity"),
    (b'{"product": "TIDE_SPOT", "price": 1e400, "side": "BUY", "volume": 1}', "finite positive"),
    (b'{"product": "TIDE_SPOT", "price": 1e300, "side": "BUY", "volume": 1}', "too large"),
    (b'{"product": "TIDE_SPOT", "price": 10, "side": "BUY", "volume": -5}', "positive integer"),
    (b'{"product": "TIDE_SPOT", "price": 10, "side": "BUY", "volume": 0}', "positive integer"),
    (b'{"product": "TIDE_SPOT", "price": 10, "side": "BUY", "volume": 2.5}', "positive integer"),
    (b'{"product": "TIDE_SPOT", "price": 10, "side": "BUY", "volume": 99999999999999999999999}', "too large"),
    (b'{"product": "TIDE_SPOT", "price": 10, "side": "BUY", "volume": 101}', "position limit"),
]


@pytest.mark.parametrize("body,expected", BAD_ORDERS)
def test_bad_order_is_400_with_message_and_changes_nothing(live, body, expected):
    headers = {**live.login("eve"), "Content-Type": "application/json"}
    requests.post(f"{live.url}/api/order", headers=headers, timeout=5,
                  json={"product": "TIDE_SPOT", "price": 5, "side": "BUY", "volume": 1})
    books_before, log_before = live.books(), len(live.exchange.tape)
    reply = requests.post(f"{live.url}/api/order", headers=headers, data=body, timeout=5)
    assert reply.status_code == 400, reply.text
    assert expected.lower() in reply.json()["message"].lower()
    assert live.books() == books_before
    assert len(live.exchange.tape) == log_before
    assert live.exchange.positions("eve") == {}


@pytest.mark.parametrize("path,status", [
    ("/api/product/GOLD/order-book/current-user", 404),
    ("/api/order/not-a-uuid", 404),
    ("/api/trade?from=yesterday", 400),
    ("/api/order?product=TIDE_SPOT", 400),
    ("/api/order?product=GOLD&price=10", 400),
    ("/api/order?product=TIDE_SPOT&price=abc", 400),
    ("/api/nowhere", 404),
])
def test_bad_paths_and_queries_are_4xx_with_message(live, path, status):
    headers = live.login("frank")
    method = "DELETE" if path.startswith("/api/order") else "GET"
    reply = requests.request(method, live.url + path, headers=headers, timeout=5)
    assert reply.status_code == status
    assert reply.json()["message"]


def test_login_with_bad_body_is_400(live):
    for body in (b"", b"{", b'{"username": 5, "password": "x"}', b'{"username": "x"}', b"null"):
        reply = requests.post(f"{live.url}/api/user/authenticate", data=body, timeout=5,
                              headers={"Content-Type": "application/json"})
        assert reply.status_code == 400, body
        assert reply.json()["message"]


def test_wrong_method_is_405_with_message(live):
    reply = requests.put(f"{live.url}/api/product", headers=live.login("gina"), timeout=5)
    assert reply.status_code == 405
    assert "GET" in reply.json()["message"]


def test_enforced_rate_limit_answers_429_with_retry_after():
    from live_exchange import start_live_exchange

    from cmi_sim.exchange import ExchangeRules

    running = start_live_exchange(ExchangeRules(rate_limit="enforce"))
    try:
        headers = running.login("hasty")
        statuses = [requests.get(f"{running.url}/api/product", headers=headers, timeout=5).status_code
                    for _ in range(3)]
        assert statuses[0] == 200 and 429 in statuses
        reply = requests.get(f"{running.url}/api/product", headers=headers, timeout=5)
        if reply.status_code == 429:
            assert reply.headers["Retry-After"] == "1" and "rate limit" in reply.json()["message"]
    finally:
        running.server.stop()
