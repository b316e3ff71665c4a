"""`cmi-sim serve --session` as a real subprocess: the session's synthetic market fills every book."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time

import requests

from cmi_sim.products import CMI_SYMBOLS

URL = re.compile(r"listening on (http://127\.0\.0\.1:\d+)")


def start_server(*args: str) -> tuple[subprocess.Popen, str, list[str]]:
    """Start `cmi-sim serve` on a free port; its URL and the banner lines printed before the URL's line."""
    env = {k: v for k, v in os.environ.items() if not k.upper().endswith("_PROXY")}
    env["PYTHONUNBUFFERED"] = "1"
    process = subprocess.Popen([sys.executable, "-m", "cmi_sim", "serve", "--port", "0", *args],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    lines: list[str] = []
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line)
        match = URL.search(line)
        if match:
            for _ in range(2):
                lines.append(process.stdout.readline())
            return process, match.group(1), lines
    process.kill()
    raise AssertionError("the server did not print its URL:\n" + "".join(lines))


def stop_server(process: subprocess.Popen) -> float:
    """SIGINT, then the seconds it took to exit."""
    started = time.monotonic()
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        raise
    finally:
        process.stdout.close()
    return time.monotonic() - started


def test_serve_session_populates_all_eight_books_then_stops_on_sigint():
    process, url, banner = start_server("--session", "london-2026-02-28", "--speed", "30")
    try:
        assert any("session: london-2026-02-28" in line for line in banner), banner
        assert any("speed 30x" in line and "2026-02-28T14:30:00Z" in line for line in banner), banner
        reply = requests.post(f"{url}/api/user/authenticate", json={"username": "alice", "password": "pw"},
                              timeout=5)
        headers = {"Authorization": reply.headers["Authorization"]}
        deadline = time.monotonic() + 10
        books: dict[str, dict] = {}
        while time.monotonic() < deadline:
            for symbol in CMI_SYMBOLS:
                reply = requests.get(f"{url}/api/product/{symbol}/order-book/current-user", headers=headers,
                                     timeout=5)
                assert reply.status_code == 200, reply.text
                books[symbol] = reply.json()
            if all(book["buy"] and book["sell"] for book in books.values()):
                break
            time.sleep(0.2)
        empty = [s for s, book in books.items() if not (book["buy"] and book["sell"])]
        assert not empty, f"one-sided or empty books: {empty}"
        best = {s: (book["buy"][0]["price"], book["sell"][0]["price"]) for s, book in books.items()}
        assert all(0 < bid < ask for bid, ask in best.values()), best
        login = requests.post(f"{url}/api/user/authenticate", json={"username": "mm-TIDE_SPOT-1", "password": "x"},
                              timeout=5)
        assert login.status_code == 401  # the market's accounts are not for logging into
    finally:
        elapsed = stop_server(process)
    assert process.returncode is not None and elapsed < 5


def test_serve_without_session_refuses_speed():
    result = subprocess.run([sys.executable, "-m", "cmi_sim", "serve", "--speed", "60"], capture_output=True,
                            text=True, timeout=30)
    assert result.returncode == 1 and "--session" in result.stderr


def test_serve_session_settles_at_the_end_of_the_session():
    process, url, banner = start_server("--session", "synthetic", "--start", "2026-03-01T11:59:30Z", "--speed",
                                        "60")
    try:
        reply = requests.post(f"{url}/api/user/authenticate", json={"username": "late", "password": "pw"},
                              timeout=5)
        headers = {"Authorization": reply.headers["Authorization"]}
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            order = requests.post(f"{url}/api/order", headers=headers, timeout=5,
                                  json={"product": "TIDE_SPOT", "price": 100, "side": "BUY", "volume": 1})
            if order.status_code == 400:
                break
            time.sleep(0.1)
        assert order.status_code == 400 and "settled" in order.json()["message"]
        # Resting orders were cancelled at settlement: nothing of ours is left in the book.
        assert requests.get(f"{url}/api/order/current-user", headers=headers, timeout=5).json() == []
    finally:
        stop_server(process)
