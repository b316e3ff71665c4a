"""Speed of `cmi-sim arena`: four bots (quoter, etf_arb, fair_value and a second quoter with other
parameters) in one session, each in its own process under the lock-step coordinator (issue 16's target:
>= 1,000x real time through the default session on this 2-core machine).

Measured in the same run, as baselines: each of the four bots alone through `cmi-sim backtest` (one
process, no coordinator); the four backtests run at the same time (four processes that never wait for
each other: the least time this machine needs for these four bots, with no lock-step at all);
and the quoter alone in the arena. The four-bot arena runs twice: exactly (the default) and with a
1-second stream cadence (`stream_cadence_ms`, an approximation). The *parallel speed-up* is the sum of
the four single-bot backtests' wall times over the four-bot arena's wall time (above 1: the arena beats
running the bots one after another; but note that the arena's bots also meet each other).

The window defaults to the first virtual hour (24 hours take minutes on a loaded shared host); set
ARENA_BENCH_UNTIL=24h (or any duration) for the full session.

Run: python -m pytest benchmarks/test_bench_arena.py -s
"""

from __future__ import annotations

import os
import resource
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from cmi_sim.arena.run import run_arena
from cmi_sim.arena.spec import ArenaSpec, participant_from_path
from cmi_sim.backtest.launch import backtest

REPO = Path(__file__).resolve().parents[1]
UNTIL = os.environ.get("ARENA_BENCH_UNTIL", "1h")
BOTS = [("quoter", "bots/quoter.py", ()), ("etf_arb", "bots/etf_arb.py", ()),
        ("fair_value", "bots/fair_value.py", ()),
        ("quoter_b", "bots/quoter.py", ("--username", "quoter_b", "--width", "8", "--interval", "3"))]


def _cpu() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _backtest(path: str, args: tuple[str, ...], out: Path) -> dict:
    started, cpu = time.perf_counter(), _cpu()
    result = backtest(REPO / path, args=args, until=None if UNTIL == "24h" else UNTIL, out=out)
    wall = time.perf_counter() - started
    assert result.ok, result.errors
    virtual = result.child["virtual_elapsed_s"] if "virtual_elapsed_s" in result.child else \
        float(UNTIL[:-1]) * {"h": 3600, "m": 60}[UNTIL[-1]]
    return {"wall_s": wall, "cpu_s": _cpu() - cpu, "speedup": virtual / wall}


def _concurrent(out: Path) -> dict:
    started, cpu = time.perf_counter(), _cpu()
    with ThreadPoolExecutor(len(BOTS)) as pool:
        results = list(pool.map(lambda bot: backtest(REPO / bot[1], args=bot[2], until=None if UNTIL == "24h"
                                                     else UNTIL, out=out / bot[0]), BOTS))
    wall = time.perf_counter() - started
    assert all(result.ok for result in results)
    return {"wall_s": wall, "cpu_s": _cpu() - cpu, "speedup": results[0].child["virtual_elapsed_s"] / wall}


def _arena(bots: list, out: Path, cadence_ms: float = 0.0) -> dict:
    spec = ArenaSpec(participants=tuple(participant_from_path(REPO / path, args) for _, path, args in bots),
                     until=None if UNTIL == "24h" else UNTIL, stream_cadence_ms=cadence_ms)
    started, cpu = time.perf_counter(), _cpu()
    outcome = run_arena(spec, out=out, wall_limit_s=7200, tables=False)
    wall = time.perf_counter() - started
    assert not outcome.failed, outcome.failed
    return {"wall_s": wall, "cpu_s": _cpu() - cpu, "speedup": outcome.record["timing"]["virtual_s"] / wall,
            "rounds": outcome.record["coordinator"]["rounds"], "grants": outcome.record["coordinator"]["grants"],
            "n_events": outcome.record["n_events"]}


def test_four_bots_in_the_arena(benchmark, tmp_path):
    def run():
        singles = {name: _backtest(path, args, tmp_path / f"backtest-{name}") for name, path, args in BOTS}
        concurrent = _concurrent(tmp_path / "concurrent")
        one = _arena(BOTS[:1], tmp_path / "arena-1")
        four = _arena(BOTS, tmp_path / "arena-4")
        batched = _arena(BOTS, tmp_path / "arena-4-cadence", cadence_ms=1000)
        return singles, concurrent, one, four, batched

    singles, concurrent, one, four, batched = benchmark.pedantic(run, rounds=1, iterations=1)
    sequential = sum(s["wall_s"] for s in singles.values())
    parallel_speedup = sequential / four["wall_s"]
    benchmark.extra_info.update({"until": UNTIL, "four": four, "four_cadence_1s": batched, "one": one,
                                 "singles": singles, "concurrent_backtests": concurrent,
                                 "parallel_speedup": parallel_speedup})
    load = os.getloadavg()[0]
    print(f"\nwindow: the first {UNTIL} of the default session; load average {load:.1f} on {os.cpu_count()} cores")
    for name, single in singles.items():
        print(f"backtest {name:<10} {single['wall_s']:6.1f} s wall, {single['cpu_s']:5.1f} s CPU = "
              f"{single['speedup']:7,.0f}x real time")
    print(f"four backtests at once {concurrent['wall_s']:6.1f} s wall, {concurrent['cpu_s']:5.1f} s CPU = "
          f"{concurrent['speedup']:7,.0f}x (no lock-step: the least time this machine needs for these bots)")
    print(f"arena, quoter alone    {one['wall_s']:6.1f} s wall, {one['cpu_s']:5.1f} s CPU = {one['speedup']:7,.0f}x "
          f"({one['rounds']} rounds)")
    print(f"arena, four bots       {four['wall_s']:6.1f} s wall, {four['cpu_s']:5.1f} s CPU = {four['speedup']:7,.0f}x "
          f"({four['rounds']} rounds, {four['grants']} grants, {four['n_events']} events)")
    print(f"arena, four, cadence 1s{batched['wall_s']:6.1f} s wall, {batched['cpu_s']:5.1f} s CPU = "
          f"{batched['speedup']:7,.0f}x ({batched['rounds']} rounds, {batched['grants']} grants)")
    print(f"parallel speed-up (four backtests one after another / the four-bot arena): {parallel_speedup:.2f}")
