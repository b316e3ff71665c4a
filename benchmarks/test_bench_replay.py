"""Replaying a 24-hour recording of 500,000 book events (and 50,000 trades) with no bot.

Target: under 10 s, reading the files included. The recording is generated (seeded random walks of
eight books, one level changing per event, like the live stream), written with the recorder's writer.
Run with:
    .venv/bin/python -m pytest benchmarks/test_bench_replay.py --benchmark-only -s
"""

from __future__ import annotations

import random
import time
from pathlib import Path

import pytest

from cmi_sim.exchange import Exchange, ExchangeRules, TradingHours
from cmi_sim.products import CMI_SYMBOLS, cmi_products
from cmi_sim.exchange.timestamps import format_timestamp
from replay import RecordingWriter
from replay.market import ReplayMarket

T0 = 1_772_280_000_000_000_000  # 2026-02-28 12:00 UTC
DAY = 86_400 * 1_000_000_000
BOOKS = 500_000
TRADES = 50_000


def generate(directory: Path, seed: int = 1) -> None:
    rng = random.Random(seed)
    writer = RecordingWriter(directory, "generated", "bench", T0)
    writer.products([{"symbol": s, "tickSize": 1, "startingPrice": 1000, "contractSize": 1} for s in CMI_SYMBOLS])
    mids = {s: 1000 for s in CMI_SYMBOLS}
    books = {s: ({1000 - k: 10 for k in range(1, 9)}, {1000 + k: 10 for k in range(1, 9)}) for s in CMI_SYMBOLS}
    trade_every = BOOKS // TRADES
    for n in range(BOOKS):
        t = T0 + n * (DAY // BOOKS)
        symbol = CMI_SYMBOLS[rng.randrange(8)]
        bids, asks = books[symbol]
        if rng.random() < 0.02:  # the mid moves: both sides re-centre
            mid = mids[symbol] = mids[symbol] + rng.choice((-1, 1))
            bids = {mid - k: rng.randint(1, 30) for k in range(1, 9)}
            asks = {mid + k: rng.randint(1, 30) for k in range(1, 9)}
            books[symbol] = (bids, asks)
        else:  # one level changes
            side = bids if rng.random() < 0.5 else asks
            price = rng.choice(list(side))
            side[price] = rng.randint(1, 30)
        if n % trade_every == 0:
            price = max(bids)
            writer.trade(t, format_timestamp(t), t, symbol, "a", "b", rng.randint(1, 5), price)
        writer.book(t, symbol, sorted(bids.items(), reverse=True), sorted(asks.items()))
    writer.close(T0 + DAY)


@pytest.fixture(scope="module")
def recording(tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("replay") / "day"
    generate(directory)
    return directory


def replay_day(path: Path) -> tuple[ReplayMarket, dict[str, float]]:
    """Read the recording and replay the whole day; the wall time of both, of the reading alone, and the
    process CPU time (which a busy machine inflates less than the wall time)."""
    started, cpu_started = time.perf_counter(), time.process_time()
    exchange = Exchange(cmi_products(), ExchangeRules(), TradingHours(T0, T0 + DAY))
    market = ReplayMarket.from_recording(exchange, path, T0, T0 + DAY)
    read = time.perf_counter()
    wake = market.step(T0)
    while wake is not None:
        wake = market.step(wake)
    ended = time.perf_counter()
    return market, {"wall_seconds": ended - started, "read_seconds": read - started,
                    "cpu_seconds": time.process_time() - cpu_started}


def test_bench_replay_24h_500k_books(benchmark, recording):
    market, seconds = benchmark.pedantic(replay_day, args=(recording,), rounds=1, iterations=1)
    info = market.describe()
    benchmark.extra_info.update(info, **{name: round(value, 3) for name, value in seconds.items()})
    wall, read = seconds["wall_seconds"], seconds["read_seconds"]
    print(f"\n24 h replay: {wall:.2f} s wall ({read:.2f} s reading the files, {wall - read:.2f} s replaying; "
          f"{seconds['cpu_seconds']:.2f} s CPU) for {info['books_applied']:,} books and "
          f"{info['trades_applied']:,} trades ({len(market.exchange.log):,} exchange events)")
    assert info["books_applied"] == BOOKS and info["trades_applied"] == TRADES  # speed is reported, not asserted
