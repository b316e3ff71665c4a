"""Bots with a hard-coded exchange URL, redirected with HTTP_PROXY, trade against the simulator."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from cmi_sim.engine import BUY, SELL

QUOTER = Path(__file__).resolve().parents[2] / "bots" / "quoter.py"


def test_absolute_form_and_doubled_slashes_route_like_plain_paths(live):
    host, port = live.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as conn:
        conn.sendall(b"GET http://exchange.example.invalid//api/product HTTP/1.1\r\n"
                     b"Host: exchange.example.invalid\r\nConnection: close\r\n\r\n")
        answer = b""
        while chunk := conn.recv(65536):
            answer += chunk
    status_line, _, rest = answer.partition(b"\r\n")
    assert status_line.endswith(b"401 Unauthorized")  # routed to /api/product, which wants a token
    assert b'{"message":' in rest


def _wait(condition, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


def test_unmodified_quoter_with_hard_coded_url_trades_through_http_proxy(live, clean_env):
    exchange = live.exchange
    # A second account makes the market the quoter quotes around: mid 105.
    live.server.call(exchange.place, time.time_ns(), "market", "TIDE_SPOT", BUY, 99, 5)
    live.server.call(exchange.place, time.time_ns(), "market", "TIDE_SPOT", SELL, 111, 5)
    env = {**clean_env, "HTTP_PROXY": live.url, "PYTHONUNBUFFERED": "1"}
    quoter = subprocess.Popen([sys.executable, str(QUOTER), "--products", "TIDE_SPOT", "--interval", "1"],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        def quoter_bid():
            orders = live.server.call(exchange.orders, "simple_quoter", "TIDE_SPOT")
            return [o for o in orders if o.side == BUY]

        assert _wait(lambda: quoter_bid(), timeout=20), "the quoter never quoted"
        assert quoter_bid()[0].price == 100  # mid 105 minus width 5
        result = live.server.call(exchange.place, time.time_ns(), "market", "TIDE_SPOT", SELL, 100, 2)
        assert [t.buyer for t in result.trades] == ["simple_quoter"]
        assert live.server.call(exchange.positions, "simple_quoter") == {"TIDE_SPOT": 2}
    finally:
        quoter.send_signal(signal.SIGINT)
        try:
            output, _ = quoter.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            quoter.kill()
            output, _ = quoter.communicate()
    assert "Traceback" not in output, output
