"""Subscribers that open the stream and never read must not grow the server's memory (issue 19): a real
`cmi-sim serve` subprocess, 20 raw sockets that never read, 20 s of order flow from trading threads."""

from __future__ import annotations

import threading
import time
from collections import deque

import requests
from serve_process import ServeProcess

from cmi_sim.products import CMI_SYMBOLS

STALLED = 20
FLOW_SECONDS = 20
MAX_GROWTH_BYTES = 150 * 1024 * 1024


def _login(url: str, name: str) -> str:
    reply = requests.post(f"{url}/api/user/authenticate", json={"username": name, "password": "pw"}, timeout=10)
    assert reply.status_code == 200, reply.text
    return reply.headers["Authorization"]


def _trade(url: str, name: str, stop: threading.Event, counts: list[int]) -> None:
    """Deep books: resting orders at many prices on both sides, placed and cancelled in turn."""
    session = requests.Session()
    session.headers["Authorization"] = _login(url, name)
    resting: dict[str, deque[str]] = {}
    i = 0
    while not stop.is_set():
        symbol = CMI_SYMBOLS[i % len(CMI_SYMBOLS)]
        level = i % 150
        side, price = ("BUY", 1000 - level) if i % 2 else ("SELL", 2000 + level)
        reply = session.post(f"{url}/api/order", json={"product": symbol, "price": price, "side": side,
                                                       "volume": 1}, timeout=10)
        assert reply.status_code == 200, reply.text
        # The oldest order of a product goes once 50 rest: the resting volume stays inside the position
        # limit, which counts resting orders, and the books stay deep.
        kept = resting.setdefault(symbol, deque())
        kept.append(reply.json()["id"])
        if len(kept) > 50:
            session.delete(f"{url}/api/order/{kept.popleft()}", timeout=10)
        counts.append(1)
        i += 1


def test_twenty_subscribers_that_never_read_grow_memory_by_less_than_150_mb():
    server = ServeProcess()
    stalled = []
    try:
        url = server.url
        for n in range(STALLED):
            token = _login(url, f"stalled-{n}")
            sock = server.raw_socket(receive_buffer=4096)
            sock.sendall(f"GET /api/market/stream HTTP/1.1\r\nHost: x\r\nAuthorization: {token}\r\n\r\n".encode())
            stalled.append(sock)
        reader = requests.get(f"{url}/api/market/stream", headers={"Authorization": _login(url, "reader")},
                              stream=True, timeout=30)
        assert reader.status_code == 200
        time.sleep(1.0)
        before = server.rss_bytes()
        stop, counts = threading.Event(), []
        traders = [threading.Thread(target=_trade, args=(url, f"trader-{n}", stop, counts)) for n in range(4)]
        for thread in traders:
            thread.start()
        peak = before
        deadline = time.monotonic() + FLOW_SECONDS
        while time.monotonic() < deadline:
            time.sleep(0.5)
            peak = max(peak, server.rss_bytes())
        stop.set()
        for thread in traders:
            thread.join(30)
        growth = peak - before
        print(f"\n{len(counts)} orders in {FLOW_SECONDS} s; server RSS {before / 2**20:.0f} MB -> peak "
              f"{peak / 2**20:.0f} MB (+{growth / 2**20:.0f} MB) with {STALLED} stalled subscribers")
        assert len(counts) > 500  # the flow really ran
        assert growth < MAX_GROWTH_BYTES
        # A subscriber that does read still gets the book as it is now.
        got = b""
        for chunk in reader.iter_content(chunk_size=None):
            got += chunk
            if b"event: order" in got:
                break
        reader.close()
        assert requests.get(f"{url}/api/product", headers={"Authorization": _login(url, "late")},
                            timeout=10).status_code == 200
        # The server gave up on the stalled readers (send timeout): reading one now drains to its end.
        sock = stalled[0]
        sock.settimeout(20)
        while sock.recv(1 << 16):
            pass
    finally:
        for sock in stalled:
            sock.close()
        server.stop()
