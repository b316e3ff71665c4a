"""`GET /api/trade` on a long tape: sent in pieces (the loop serves others between them), the same JSON
as one list, with `from` found by binary search."""

from __future__ import annotations

import requests

from cmi_sim.api import wire
from cmi_sim.api.service import TRADE_PAGE
from cmi_sim.exchange import format_timestamp


def _fill_tape(live, n: int) -> None:
    def prints() -> None:
        for i in range(n):
            live.exchange.print_trade(1_700_000_000_000_000_000 + i * 1000, "TIDE_SPOT", "a", "b", 1, 100 + i % 7)

    live.server.call(prints)


def _expected(live, since_index: int = 0) -> list:
    tick = {s: p.tick_size for s, p in live.exchange.products.items()}
    return [wire.trade_json(t, tick[t.product]) for t in live.exchange.tape.trades[since_index:]]


def test_a_long_trade_list_comes_in_pieces_with_the_same_json(live):
    n = TRADE_PAGE * 3 + 17
    _fill_tape(live, n)
    headers = live.login("reader")
    reply = requests.get(f"{live.url}/api/trade", headers=headers, timeout=30)
    assert reply.status_code == 200 and reply.headers.get("transfer-encoding") == "chunked"
    assert reply.headers["content-type"] == "application/json; charset=utf-8"
    assert reply.content == wire.dumps(_expected(live))
    since = live.exchange.tape.trades[TRADE_PAGE + 5].ts
    later = requests.get(f"{live.url}/api/trade", headers=headers, params={"from": format_timestamp(since)},
                         timeout=30)
    assert later.json() == _expected(live, TRADE_PAGE + 5)


def test_a_short_trade_list_is_one_body_and_bad_from_is_400(live):
    _fill_tape(live, 10)
    headers = live.login("reader")
    reply = requests.get(f"{live.url}/api/trade", headers=headers, timeout=10)
    assert reply.headers.get("content-length") == str(len(reply.content))
    assert reply.json() == _expected(live)
    bad = requests.get(f"{live.url}/api/trade", headers=headers, params={"from": "x" * 5000}, timeout=10)
    assert bad.status_code == 400 and len(bad.text) < 400
    assert requests.get(f"{live.url}/api/trade", timeout=10).status_code == 401
