"""Hostile input against a real server (issue 19): every request answers 4xx, never 500, and a failed
request changes nothing (no account, no order, no position)."""

from __future__ import annotations

import socket
import time

import pytest
import requests

from cmi_sim.api import app as app_module
from cmi_sim.api.guarded_http import GuardedH11Protocol

JSON = {"Content-Type": "application/json"}


def _state(live) -> tuple:
    exchange = live.exchange
    return live.server.call(lambda: (sorted(exchange.accounts.usernames()),
                                     [exchange.depth(p) for p in exchange.products], len(exchange.tape),
                                     exchange.journal.count))


HOSTILE_ORDERS = [
    b'{"product": "TIDE_SPOT", "price": ' + b"9" * 400 + b', "side": "BUY", "volume": 1}',
    b'{"product": "TIDE_SPOT", "price": 10, "side": "BUY", "volume": ' + b"9" * 400 + b"}",
    b'{"product": "TIDE_SPOT", "price": 1e400, "side": "BUY", "volume": 1}',
    b"[" * 20_000 + b"]" * 20_000,
    b'{"a":' * 8_000 + b"1" + b"}" * 8_000,
    b'{"product": "TIDE_SPOT", "price": 10, "side": "BUY", "volume": 1, "type": "IOC"}',
    b'{"product": "' + b"X" * 10_000 + b'", "price": 10, "side": "BUY", "volume": 1}',
    b'{"product": "TIDE_SPOT", "price": 10, "side": "\\ud800", "volume": 1}',
]


@pytest.mark.parametrize("body", HOSTILE_ORDERS, ids=range(len(HOSTILE_ORDERS)))
def test_hostile_orders_answer_400_with_a_short_message_and_change_nothing(live, body):
    headers = {**live.login("eve"), **JSON}
    before = _state(live)
    reply = requests.post(f"{live.url}/api/order", headers=headers, data=body, timeout=30)
    assert reply.status_code == 400, reply.text[:200]
    assert len(reply.json()["message"]) <= 400
    assert _state(live) == before


HOSTILE_LOGINS = [
    b'{"username": "\\ud800", "password": "pw"}',
    b'{"username": "bob", "password": "\\udfff"}',
    b'{"username": "bob\\u200b", "password": "pw"}',
    b'{"username": "bob\\u0007", "password": "pw"}',
    b'{"username": "' + b"b" * 65 + b'", "password": "pw"}',
    b'{"username": " bob", "password": "pw"}',
    b'{"username": "bob", "password": "' + b"p" * 2000 + b'"}',
    b'{"username": ' * 3_000 + b"1" + b"}" * 3_000,
]


@pytest.mark.parametrize("body", HOSTILE_LOGINS, ids=range(len(HOSTILE_LOGINS)))
def test_hostile_logins_answer_400_and_create_no_account(live, body):
    before = _state(live)
    reply = requests.post(f"{live.url}/api/user/authenticate", data=body, headers=JSON, timeout=30)
    assert reply.status_code == 400, reply.text[:200]
    assert "Authorization" not in reply.headers
    assert _state(live) == before


def test_look_alike_usernames_are_one_account(live):
    live.login("alice", "pw")
    reply = requests.post(f"{live.url}/api/user/authenticate", json={"username": "ａｌｉｃｅ", "password": "pw"},
                          timeout=5)
    assert reply.status_code == 200 and reply.json()["message"] == "logged in as alice"
    wrong = requests.post(f"{live.url}/api/user/authenticate", json={"username": "ａｌｉｃｅ", "password": "x"},
                          timeout=5)
    assert wrong.status_code == 401
    assert live.server.call(live.exchange.accounts.usernames) == ["alice"]


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded",
                                          "multipart/form-data; boundary=x"])
def test_a_json_post_without_a_json_content_type_is_415_and_creates_nothing(live, content_type):
    before = _state(live)
    headers = {"Content-Type": content_type} if content_type else {}
    session = requests.Session()
    request = requests.Request("POST", f"{live.url}/api/user/authenticate", headers=headers,
                               data=b'{"username": "mallory", "password": "pw"}').prepare()
    if content_type is None:
        request.headers.pop("Content-Type", None)
    reply = session.send(request, timeout=5)
    assert reply.status_code == 415, reply.text
    assert _state(live) == before
    ok = requests.post(f"{live.url}/api/user/authenticate", data=b'{"username": "m", "password": "pw"}',
                       headers={"Content-Type": "application/json; charset=utf-8"}, timeout=5)
    assert ok.status_code == 200


def test_a_body_over_the_limit_is_413_declared_or_chunked(live):
    before = _state(live)
    big = b'{"username": "x", "password": "' + b"p" * (app_module.MAX_BODY_BYTES + 10) + b'"}'
    declared = requests.post(f"{live.url}/api/user/authenticate", data=big, headers=JSON, timeout=10)
    assert declared.status_code == 413

    def chunks():
        for i in range(0, len(big), 4096):
            yield big[i:i + 4096]

    chunked = requests.post(f"{live.url}/api/user/authenticate", data=chunks(), headers=JSON, timeout=10)
    assert chunked.status_code == 413
    elsewhere = requests.post(f"{live.url}/docs", data=big, headers=JSON, timeout=10)
    assert elsewhere.status_code == 413
    assert _state(live) == before


def test_non_canonical_order_ids_name_no_order(live):
    headers = live.login("carol")
    placed = requests.post(f"{live.url}/api/order", headers=headers, timeout=5,
                           json={"product": "TIDE_SPOT", "price": 5, "side": "BUY", "volume": 1}).json()
    order_id = placed["id"]
    variants = [order_id.upper(), order_id[:24] + " " + order_id[25:], order_id[:24] + "+" + order_id[25:],
                order_id[:24] + "0x" + order_id[26:]]
    for variant in variants:
        reply = requests.delete(f"{live.url}/api/order/{variant}", headers=headers, timeout=5)
        assert reply.status_code == 404, variant
    assert requests.delete(f"{live.url}/api/order/{order_id}", headers=headers, timeout=5).status_code == 200


def test_error_messages_do_not_echo_long_inputs(live):
    headers = live.login("dave")
    reply = requests.get(f"{live.url}/api/" + "z" * 5000, headers=headers, timeout=5)
    assert reply.status_code == 404 and len(reply.text) < 500
    reply = requests.delete(f"{live.url}/api/order/" + "y" * 5000, headers=headers, timeout=5)
    assert reply.status_code == 404 and len(reply.text) < 500


def _closed_within(sock: socket.socket, seconds: float) -> bool:
    sock.settimeout(seconds)
    try:
        while sock.recv(4096):
            pass
        return True
    except TimeoutError:
        return False


def test_half_sent_headers_are_dropped_after_the_header_timeout(live, monkeypatch):
    monkeypatch.setattr(GuardedH11Protocol, "header_timeout", 0.5)
    port = int(live.url.rsplit(":", 1)[1])
    silent = socket.create_connection(("127.0.0.1", port))
    half = socket.create_connection(("127.0.0.1", port))
    half.sendall(b"GET /api/product HTTP/1.1\r\nHost: x\r\n")
    for _ in range(3):  # a byte now and then does not keep it open
        time.sleep(0.2)
        half.sendall(b"X-A: b\r\n")
    assert _closed_within(silent, 3) and _closed_within(half, 3)
    silent.close()
    half.close()
    assert requests.get(f"{live.url}/api/product", headers=live.login("erin"), timeout=5).status_code == 200


def test_a_body_that_never_arrives_is_408(live, monkeypatch):
    monkeypatch.setattr(app_module, "BODY_TIMEOUT_SECONDS", 0.5)
    port = int(live.url.rsplit(":", 1)[1])
    sock = socket.create_connection(("127.0.0.1", port))
    sock.sendall(b"POST /api/user/authenticate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                 b"Content-Length: 100\r\n\r\n{\"user")
    sock.settimeout(5)
    answer = sock.recv(4096)
    sock.close()
    assert answer.startswith(b"HTTP/1.1 408"), answer
