"""HTTP and SSE performance of `cmi-sim serve` (one uvicorn worker, loopback), against a bare uvicorn
ASGI app measured in the same run. Targets (issue 3): >= 5,000 order POSTs/s, p99 < 2 ms for a single
client; >= 20,000 SSE events/s delivered with 50 subscribers; p99 POST-to-SSE < 5 ms.

Run: python -m pytest benchmarks/test_bench_api.py -s
"""

from __future__ import annotations

import multiprocessing
import time

from http_load import (
    Connection,
    StreamReaders,
    baseline_server_args,
    cmi_server_args,
    login,
    order_requests,
    percentile,
    request,
    served,
    timed_calls,
)

N_SINGLE = 5_000
N_CLIENTS = 4


def _report(benchmark, name: str, **figures) -> None:
    benchmark.extra_info.update(figures)
    print(f"\n{name}: " + ", ".join(f"{k}={v:,.3f}" if isinstance(v, float) else f"{k}={v}"
                                   for k, v in figures.items()))


def _single_client(port: int, raws: list[bytes]) -> dict:
    timed_calls(port, raws[:500])  # warm-up
    started = time.perf_counter()
    latencies = sorted(timed_calls(port, raws))
    elapsed = time.perf_counter() - started
    return {"posts_per_s": len(raws) / elapsed, "p50_ms": percentile(latencies, 0.5) * 1e3,
            "p99_ms": percentile(latencies, 0.99) * 1e3}


def test_order_post_single_client(benchmark):
    def run():
        with served(cmi_server_args()) as port:
            cmi = _single_client(port, order_requests(login(port, "bench"), N_SINGLE))
        with served(baseline_server_args()) as port:
            raws = [request("POST", "/api/order", {"product": "TIDE_SPOT", "price": 1, "side": "BUY", "volume": 1})
                    ] * N_SINGLE
            baseline = _single_client(port, raws)
        return cmi, baseline

    cmi, baseline = benchmark.pedantic(run, rounds=1, iterations=1)
    _report(benchmark, "POST /api/order, one client", **cmi,
            baseline_posts_per_s=baseline["posts_per_s"], baseline_p99_ms=baseline["p99_ms"],
            ratio_to_baseline=cmi["posts_per_s"] / baseline["posts_per_s"])
    assert cmi["posts_per_s"] > 0


def _client_process(port: int, username: str, count: int, queue) -> None:
    raws = order_requests(login(port, username), count)
    latencies = timed_calls(port, raws)
    queue.put(latencies)


def test_order_post_many_clients(benchmark):
    def run():
        with served(cmi_server_args()) as port:
            context = multiprocessing.get_context("spawn")
            queue = context.Queue()
            workers = [context.Process(target=_client_process, args=(port, f"client{i}", N_SINGLE // 2, queue))
                       for i in range(N_CLIENTS)]
            started = time.perf_counter()
            for worker in workers:
                worker.start()
            latencies = sorted(lat for _ in workers for lat in queue.get(timeout=120))
            elapsed = time.perf_counter() - started
            for worker in workers:
                worker.join()
        return {"clients": N_CLIENTS, "posts_per_s": len(latencies) / elapsed,
                "p50_ms": percentile(latencies, 0.5) * 1e3, "p99_ms": percentile(latencies, 0.99) * 1e3}

    figures = benchmark.pedantic(run, rounds=1, iterations=1)
    _report(benchmark, f"POST /api/order, {N_CLIENTS} client processes (includes their start-up)", **figures)
    assert figures["posts_per_s"] > 0


def test_post_to_sse_latency(benchmark):
    def run():
        with served(cmi_server_args()) as port:
            readers = StreamReaders(port, [login(port, "watcher")])
            readers.pump(0.5)  # the snapshot
            poster = Connection(port)
            token = login(port, "poster")
            latencies = []
            for i in range(500):
                price = 20_000 + i
                raw = request("POST", "/api/order", {"product": "WX_SPOT", "price": price, "side": "SELL",
                                                     "volume": 1}, token)
                started = time.perf_counter()
                poster.call(raw)
                seen = readers.pump(1.0, marker=f'"{float(price)!r}"'.encode())
                assert seen is not None
                latencies.append(seen - started)
            readers.close()
            poster.close()
        latencies.sort()
        return {"p50_ms": percentile(latencies, 0.5) * 1e3, "p99_ms": percentile(latencies, 0.99) * 1e3}

    figures = benchmark.pedantic(run, rounds=1, iterations=1)
    _report(benchmark, "POST to SSE event at another subscriber", **figures)


def _poster_process(port: int, seconds: float) -> None:
    connection = Connection(port)
    raws = order_requests(login(port, "flood"), 20_000, product="LON_ETF")
    deadline = time.perf_counter() + seconds
    for raw in raws:
        connection.call(raw)
        if time.perf_counter() > deadline:
            break


def test_sse_delivery_with_50_subscribers(benchmark):
    def run():
        with served(cmi_server_args()) as port:
            readers = StreamReaders(port, [login(port, f"sub{i}") for i in range(50)])
            readers.pump(1.0)
            readers.events = 0
            context = multiprocessing.get_context("spawn")
            poster = context.Process(target=_poster_process, args=(port, 3.0))
            poster.start()
            started = time.perf_counter()
            readers.pump(3.5)
            elapsed = time.perf_counter() - started
            poster.join()
            readers.close()
        return {"subscribers": 50, "events_delivered": readers.events, "events_per_s": readers.events / elapsed}

    figures = benchmark.pedantic(run, rounds=1, iterations=1)
    _report(benchmark, "SSE delivery, 50 subscribers", **figures)
