"""A 24-hour synthetic market with no bot, run in virtual time (market_step in a loop from open to close).

Target: under 10 s on a 2-core machine. Run with:
    .venv/bin/python -m pytest benchmarks/test_bench_market.py --benchmark-only -s
"""

from __future__ import annotations

import time

from cmi_sim.sessions import load_session
from cmi_sim.simulation import Simulation


def run_day(session) -> tuple[Simulation, float]:
    sim = Simulation(session, clock=lambda: 0)
    started = time.perf_counter()
    wake = sim.market_step(session.open_ns)
    while wake is not None:
        wake = sim.market_step(wake)
    return sim, time.perf_counter() - started


def test_bench_market_24h(benchmark):
    session = load_session("synthetic")  # trading 12:00 -> 12:00: the full 24 hours
    sim, wall = benchmark.pedantic(run_day, args=(session,), rounds=1, iterations=1)
    exchange = sim.exchange
    benchmark.extra_info.update(events=len(exchange.log), trades=len(exchange.tape), wall_seconds=round(wall, 3),
                                virtual_hours=(session.close_ns - session.open_ns) / 3.6e12)
    print(f"\n24 h synthetic market: {wall:.2f} s wall, {len(exchange.log)} events, {len(exchange.tape)} trades")
    assert 20_000 <= len(exchange.log) <= 1_000_000  # speed is reported, not asserted
