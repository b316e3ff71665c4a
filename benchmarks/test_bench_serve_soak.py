"""Load and soak of `cmi-sim serve` (issue 19): a real server subprocess on 127.0.0.1 with trading
clients, reading SSE subscribers and stalled subscribers (raw sockets that never read).

Reports requests/s, request latency p50/p99, the server's RSS slope (MB per minute, least squares over
samples each second) and a conservation check (positions sum to zero per product, PnL sums to zero,
the tape's volume equals the fills the takers were told about). The baseline, measured in the same run,
is the same traders with no subscriber at all; the ratio says what the streams cost.

Bounded: loopback only, SOAK_SECONDS (default 30) of flow, then it stops by itself.
Run: python -m pytest benchmarks/test_bench_serve_soak.py -s
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time

import requests

SOAK_SECONDS = float(os.environ.get("SOAK_SECONDS", "30"))
BASELINE_SECONDS = min(10.0, SOAK_SECONDS)
TRADERS, READERS, STALLED = 6, 4, 10
SYMBOLS = ("TIDE_SPOT", "WX_SPOT", "LON_ETF")
URL = re.compile(r"listening on (http://127\.0\.0\.1:(\d+))")


class Server:
    def __init__(self) -> None:
        env = {k: v for k, v in os.environ.items() if not k.upper().endswith("_PROXY")}
        env["PYTHONUNBUFFERED"] = "1"
        self.process = subprocess.Popen([sys.executable, "-m", "cmi_sim", "serve", "--port", "0", "--rate-limit",
                                         "off", "--position-limit", "1000000"], stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, text=True, env=env)
        for line in self.process.stdout:
            match = URL.search(line)
            if match:
                self.url, self.port = match.group(1), int(match.group(2))
                return
        raise AssertionError("the server did not start")

    def rss_mb(self) -> float:
        with open(f"/proc/{self.process.pid}/status") as status:
            return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:")) / 1024

    def stop(self) -> None:
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process.stdout.close()


def _login(url: str, name: str) -> str:
    return requests.post(f"{url}/api/user/authenticate", json={"username": name, "password": "pw"},
                         timeout=10).headers["Authorization"]


def _trader(url: str, n: int, stop: threading.Event, latencies: list[float], told: list[int]) -> None:
    session = requests.Session()
    session.headers["Authorization"] = _login(url, f"trader-{n}")
    i = 0
    while not stop.is_set():
        symbol = SYMBOLS[i % len(SYMBOLS)]
        side = "BUY" if (i + n) % 2 else "SELL"
        price = 100 + ((i * 7 + n) % 11) - 5  # crossing often: fills on both sides
        started = time.perf_counter()
        reply = session.post(f"{url}/api/order", json={"product": symbol, "price": price, "side": side,
                                                       "volume": 1 + i % 3}, timeout=30)
        latencies.append(time.perf_counter() - started)
        order = reply.json()
        told.append(order["filled"])
        if order["volume"] and i % 2 == 0:
            started = time.perf_counter()
            session.delete(f"{url}/api/order/{order['id']}", timeout=30)
            latencies.append(time.perf_counter() - started)
        i += 1


def _reader(url: str, n: int, stop: threading.Event, received: list[int]) -> None:
    response = requests.get(f"{url}/api/market/stream", headers={"Authorization": _login(url, f"reader-{n}")},
                            stream=True, timeout=30)
    for chunk in response.iter_content(chunk_size=65536):
        received.append(len(chunk))
        if stop.is_set():
            break
    response.close()


def _run(server: Server, seconds: float, readers: int, stalled: int) -> dict:
    url = server.url
    stop = threading.Event()
    sockets = []
    for n in range(stalled):
        token = _login(url, f"stalled-{n}")
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.connect(("127.0.0.1", server.port))
        sock.sendall(f"GET /api/market/stream HTTP/1.1\r\nHost: x\r\nAuthorization: {token}\r\n\r\n".encode())
        sockets.append(sock)
    received: list[int] = []
    threads = [threading.Thread(target=_reader, args=(url, n, stop, received), daemon=True) for n in range(readers)]
    latencies: list[float] = []
    told: list[int] = []
    threads += [threading.Thread(target=_trader, args=(url, n, stop, latencies, told)) for n in range(TRADERS)]
    for thread in threads:
        thread.start()
    samples = []
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        time.sleep(1.0)
        samples.append((time.monotonic() - started, server.rss_mb()))
    stop.set()
    for thread in threads:
        thread.join(30)
    for sock in sockets:
        sock.close()
    elapsed = time.monotonic() - started
    latencies.sort()
    return {"requests_per_s": len(latencies) / elapsed, "p50_ms": 1000 * latencies[len(latencies) // 2],
            "p99_ms": 1000 * latencies[int(len(latencies) * 0.99)], "rss_slope_mb_per_min": 60 * _slope(samples),
            "rss_mb_start": samples[0][1], "rss_mb_end": samples[-1][1], "stream_mb": sum(received) / 2**20,
            "taker_fills": sum(told)}


def _slope(samples: list[tuple[float, float]]) -> float:
    n = len(samples)
    mean_t = sum(t for t, _ in samples) / n
    mean_y = sum(y for _, y in samples) / n
    var = sum((t - mean_t) ** 2 for t, _ in samples)
    return sum((t - mean_t) * (y - mean_y) for t, y in samples) / var if var else 0.0


def _conservation(url: str, taker_fills: int) -> dict:
    positions: dict[str, int] = {}
    total_pnl = 0.0
    for n in range(TRADERS):
        headers = {"Authorization": _login(url, f"trader-{n}")}
        for item in requests.get(f"{url}/api/position/current-user", headers=headers, timeout=30).json():
            positions[item["product"]] = positions.get(item["product"], 0) + item["netPosition"]
        total_pnl += requests.get(f"{url}/api/profit/current-user", headers=headers, timeout=30).json()["totalProfit"]
    trades = requests.get(f"{url}/api/trade", headers={"Authorization": _login(url, "auditor")}, timeout=60).json()
    return {"positions": positions, "total_pnl": total_pnl, "tape_volume": sum(t["volume"] for t in trades),
            "taker_fills": taker_fills, "trades": len(trades)}


def test_serve_soak(benchmark):
    def run() -> tuple[dict, dict, dict]:
        baseline_server = Server()
        try:
            baseline = _run(baseline_server, BASELINE_SECONDS, readers=0, stalled=0)
        finally:
            baseline_server.stop()
        server = Server()
        try:
            soak = _run(server, SOAK_SECONDS, readers=READERS, stalled=STALLED)
            books = _conservation(server.url, soak["taker_fills"])
        finally:
            server.stop()
        return baseline, soak, books

    baseline, soak, books = benchmark.pedantic(run, rounds=1, iterations=1)
    benchmark.extra_info.update({f"soak_{k}": v for k, v in soak.items()})
    benchmark.extra_info.update({f"baseline_{k}": v for k, v in baseline.items()})
    print(f"\nbaseline ({TRADERS} traders, no subscribers, {BASELINE_SECONDS:.0f} s): "
          f"{baseline['requests_per_s']:.0f} req/s, p50 {baseline['p50_ms']:.1f} ms, p99 {baseline['p99_ms']:.1f} ms")
    print(f"soak ({TRADERS} traders, {READERS} readers, {STALLED} stalled, {SOAK_SECONDS:.0f} s): "
          f"{soak['requests_per_s']:.0f} req/s ({soak['requests_per_s'] / baseline['requests_per_s']:.2f}x the "
          f"baseline), p50 {soak['p50_ms']:.1f} ms, p99 {soak['p99_ms']:.1f} ms; RSS {soak['rss_mb_start']:.0f} -> "
          f"{soak['rss_mb_end']:.0f} MB, slope {soak['rss_slope_mb_per_min']:+.1f} MB/min; readers got "
          f"{soak['stream_mb']:.0f} MB of stream")
    print(f"conservation: {books['trades']} trades, tape volume {books['tape_volume']} = taker fills "
          f"{books['taker_fills']}; positions {books['positions']}; total PnL {books['total_pnl']:.6f}")
    assert all(position == 0 for position in books["positions"].values())
    assert abs(books["total_pnl"]) < 1e-6
    assert books["tape_volume"] == books["taker_fills"]
