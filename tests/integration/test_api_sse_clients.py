"""The market stream read by the SSE libraries competitors used, over a real server."""

from __future__ import annotations

import json
import subprocess
import sys
import tarfile
import threading
import time
from pathlib import Path

import pytest
import requests
import sseclient

VENDOR = Path(__file__).resolve().parents[1] / "vendor" / "sseclient-0.0.27.tar.gz"
STREAM_HEADERS = {"Accept": "text/event-stream; charset=utf-8"}


def open_stream(live, headers):
    return requests.get(f"{live.url}/api/market/stream", headers={**headers, **STREAM_HEADERS}, stream=True,
                        timeout=30)


def test_sseclient_py_gets_snapshot_then_book_and_fill_events(live):
    alice, bob = live.login("alice"), live.login("bob")
    response = open_stream(live, alice)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    events = sseclient.SSEClient(response).events()
    snapshot = [next(events) for _ in range(8)]
    assert [e.event for e in snapshot] == ["order"] * 8
    assert [json.loads(e.data)["productsymbol"] for e in snapshot][:3] == ["TIDE_SPOT", "TIDE_SWING", "WX_SPOT"]

    requests.post(f"{live.url}/api/order", headers=alice, timeout=5,
                  json={"product": "LHR_COUNT", "price": 1200, "side": "BUY", "volume": 3})
    requests.post(f"{live.url}/api/order", headers=bob, timeout=5,
                  json={"product": "LHR_COUNT", "price": 1199, "side": "SELL", "volume": 2})
    book = json.loads(next(events).data)
    assert book == {"productsymbol": "LHR_COUNT", "tickSize": 1,
                    "buyOrders": {"1200.0": {"marketVolume": 3.0, "userVolume": 3.0}}, "sellOrders": {}}
    after_fill = json.loads(next(events).data)
    assert after_fill["buyOrders"] == {"1200.0": {"marketVolume": 1.0, "userVolume": 1.0}}
    fill = next(events)
    assert fill.event == "trade"
    [trade] = json.loads(fill.data)
    assert set(trade) == {"timestamp", "product", "buyer", "seller", "volume", "price"}
    assert (trade["buyer"], trade["seller"], trade["volume"], trade["price"]) == ("alice", "", 2, 1200.0)
    response.close()


def test_stream_frames_are_lf_terminated(live):
    response = open_stream(live, live.login("carol"))
    raw = b""
    for chunk in response.iter_content(chunk_size=None):
        raw += chunk
        if raw.count(b"\n\n") >= 8:
            break
    response.close()
    assert b"\r" not in raw
    first = raw.split(b"\n\n")[0].split(b"\n")
    assert first[0] == b"event: order" and first[1].startswith(b"data: {")


def test_stream_without_token_is_refused(live):
    response = requests.get(f"{live.url}/api/market/stream", headers=STREAM_HEADERS, timeout=5)
    assert response.status_code == 401
    assert "message" in response.json()


@pytest.mark.slow
def test_idle_stream_gets_a_keepalive_within_15_seconds(live):
    response = open_stream(live, live.login("idle"))
    started = time.monotonic()
    seen_ping = False
    for line in response.iter_lines():
        if line.startswith(b":"):
            seen_ping = True
            break
        assert time.monotonic() - started < 16
    elapsed = time.monotonic() - started
    response.close()
    assert seen_ping and elapsed <= 15


LEGACY_SCRIPT = r"""
import json, sys, sseclient
print(sseclient.__file__, file=sys.stderr)
url, token = sys.argv[1], sys.argv[2]
client = sseclient.SSEClient(url + "/api/market/stream",
                             headers={"Authorization": token, "Accept": "text/event-stream; charset=utf-8"})
products = []
for message in client:
    if message.event == "order":
        products.append(json.loads(message.data)["productsymbol"])
    if len(products) == 8:
        break
print(json.dumps(products))
"""


def test_legacy_sseclient_0_0_27_reads_the_stream(live, tmp_path, clean_env):
    """sseclient 0.0.27 and sseclient-py both install a module named `sseclient`, so the legacy one runs
    from its released sdist in its own interpreter, first on the import path."""
    with tarfile.open(VENDOR) as archive:
        archive.extractall(tmp_path, filter="data")
    legacy_dir = tmp_path / "sseclient-0.0.27"
    assert (legacy_dir / "sseclient.py").is_file()
    token = live.login("legacy")["Authorization"]
    env = {**clean_env, "PYTHONPATH": str(legacy_dir)}
    done = subprocess.run([sys.executable, "-c", LEGACY_SCRIPT, live.url, token], capture_output=True, text=True,
                          timeout=30, env=env)
    assert done.returncode == 0, done.stderr
    assert str(legacy_dir) in done.stderr  # the legacy module, not sseclient-py, was imported
    assert json.loads(done.stdout) == ["TIDE_SPOT", "TIDE_SWING", "WX_SPOT", "WX_SUM", "LHR_COUNT", "LHR_INDEX",
                                       "LON_ETF", "LON_FLY"]


def test_shutdown_with_open_streams_finishes_quickly():
    from live_exchange import start_live_exchange

    running = start_live_exchange()
    headers = running.login("reader")
    finished = []

    def read() -> None:
        response = open_stream(running, headers)
        for _ in response.iter_content(chunk_size=None):
            pass
        finished.append(True)

    readers = [threading.Thread(target=read, daemon=True) for _ in range(3)]
    for reader in readers:
        reader.start()
    assert _wait(lambda: running.service.streams.count() == 3)
    started = time.monotonic()
    running.server.stop(timeout=10)
    for reader in readers:
        reader.join(5)
    assert time.monotonic() - started < 5
    assert len(finished) == 3
    assert not running.server._thread.is_alive()


def _wait(condition, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not condition():
        time.sleep(0.02)
    return condition()
