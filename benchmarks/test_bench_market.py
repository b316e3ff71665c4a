"""A 24-hour synthetic market with no bot, run in virtual time (market_step in a loop from open to close).

Target: under 10 s on a 2-core machine. The CPU time is printed too: on a shared, loaded machine it is the
steadier figure. The time includes building the market (its fair values from the session's data).
Run with:
    .venv/bin/python -m pytest benchmarks/test_bench_market.py --benchmark-only -s
"""

from __future__ import annotations

import time

from cmi_sim.sessions import load_session
from cmi_sim.simulation import Simulation


def run_day(session) -> tuple[Simulation, float]:
    sim, wall, _ = run_day_timed(session)
    return sim, wall


def run_day_timed(session) -> tuple[Simulation, float, float]:
    """The market from open to close: (simulation, wall seconds, CPU seconds)."""
    started, cpu = time.perf_counter(), time.process_time()
    sim = Simulation(session, clock=lambda: 0)
    wake = sim.market_step(session.open_ns)
    while wake is not None:
        wake = sim.market_step(wake)
    return sim, time.perf_counter() - started, time.process_time() - cpu


def test_bench_market_24h(benchmark):
    session = load_session("synthetic")  # trading 12:00 -> 12:00: the full 24 hours
    sim, wall, cpu = benchmark.pedantic(run_day_timed, args=(session,), rounds=1, iterations=1)
    exchange = sim.exchange
    benchmark.extra_info.update(events=len(exchange.log), trades=len(exchange.tape), wall_seconds=round(wall, 3),
                                cpu_seconds=round(cpu, 3), virtual_hours=(session.close_ns - session.open_ns) / 3.6e12)
    print(f"\n24 h synthetic market: {wall:.2f} s wall ({cpu:.2f} s CPU), {len(exchange.log)} events, "
          f"{len(exchange.tape)} trades")
    assert 20_000 <= len(exchange.log) <= 1_000_000  # speed is reported, not asserted
