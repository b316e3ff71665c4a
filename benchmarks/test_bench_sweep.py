"""Throughput of `cmi-sim sweep` (issue 17's targets: 8 runs on 2 workers at >= 1.7x the throughput of 1
worker on the 2-core machine; the sweep's own cost per run under 10% of a single backtest's time).

Measured in the same run: the same 8 backtests (quoter, synthetic session, one virtual hour, widths 2-9)
one after another through the plain library calls `build_spec` and `run` (the baseline), then as sweeps with 1, 2,
2 and 1 workers (each figure the mean of its two). The sweep's overhead per run is (1-worker sweep - baseline) / 8, against the
baseline's time per run. Runs are light (no event log) in the baseline too, as in the sweep.

The host's own ceiling is measured in the same run: pure-Python loops in 2 processes against 1 (as many
loops as 2 processes do beyond 1 is what a second worker can add at all). The machine is shared, so
each stage's CPU seconds (this process and every process it waited for: the
backtest children, the pool's workers) are printed too: the overhead in CPU time does not depend on how
busy the other tenants keep the cores.

Run: python -m pytest benchmarks/test_bench_sweep.py -s
"""

from __future__ import annotations

import multiprocessing
import os
import resource
import time
from pathlib import Path

import pytest

from cmi_sim.backtest.launch import run as run_backtest
from cmi_sim.backtest.plan import build_spec
from cmi_sim.sweep import SweepSpec, parse_params, run_sweep

REPO = Path(__file__).resolve().parents[1]
QUOTER = REPO / "bots" / "quoter.py"
WIDTHS = list(range(2, 10))
UNTIL = "1h"


def _loops(seconds: float) -> int:
    end, count = time.perf_counter() + seconds, 0
    while time.perf_counter() < end:
        count += 1
    return count


def _host_ceiling(seconds: float = 3.0) -> float:
    """How many times the work of 1 busy process 2 busy processes get done here and now (2.0 on an idle
    2-core machine), measured 1, 2, 2, 1 like the sweeps."""
    done = {1: 0, 2: 0}
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        for processes in (1, 2, 2, 1):
            done[processes] += sum(pool.map(_loops, [seconds] * processes))
    return done[2] / done[1]


def _cpu_s() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _measured(stage):
    """(wall s, CPU s, and for a sweep the mean number of runs in flight: the runs' wall time / the sweep's)."""
    cpu, started = _cpu_s(), time.perf_counter()
    runs_wall = stage()
    wall = time.perf_counter() - started
    return wall, _cpu_s() - cpu, (runs_wall or 0.0) / wall


def _baseline(out: Path) -> None:
    for width in WIDTHS:
        result = run_backtest(build_spec(QUOTER, session="synthetic", seed=1, until=UNTIL, events="none",
                                         args=("--width", str(width))), out=out / str(width))
        assert result.ok


def _sweep(out: Path, workers: int) -> float:
    spec = SweepSpec(bot=QUOTER, out=out, params=parse_params([f"width={','.join(map(str, WIDTHS))}"]), seeds=(1,),
                     sessions=("synthetic",), until=UNTIL, workers=workers)
    outcome = run_sweep(spec)
    assert outcome.ran == len(WIDTHS) and outcome.broken == 0, outcome.results[["status", "error"]].to_dict("records")
    return float(outcome.results["wall_s"].sum())


@pytest.mark.timeout(2400)  # 40 backtests; on the shared machine that can take a while
def test_sweep_throughput_and_overhead(benchmark, tmp_path):
    def run():
        ceiling.append(_host_ceiling())
        plain = _measured(lambda: _baseline(tmp_path / "plain"))
        # one, two, two, one: a load that drifts during the benchmark weighs on both alike
        stages = [(workers, _measured(lambda: _sweep(tmp_path / f"{workers}-{i}", workers=workers)))
                  for i, workers in enumerate((1, 2, 2, 1))]
        one = [sum(m[k] for w, m in stages if w == 1) / 2 for k in (0, 1)]
        two = [sum(m[k] for w, m in stages if w == 2) / 2 for k in (0, 1)]
        ceiling.append(_host_ceiling())
        return plain, one, two, stages

    ceiling: list[float] = []
    (plain, plain_cpu, _), (one, one_cpu), (two, two_cpu), stages = benchmark.pedantic(run, rounds=1, iterations=1)
    runs = len(WIDTHS)
    overhead, overhead_cpu = (one - plain) / runs, (one_cpu - plain_cpu) / runs
    benchmark.extra_info.update(host_ceiling=ceiling, plain_s=plain, one_worker_s=one, two_workers_s=two, plain_cpu_s=plain_cpu,
                                one_worker_cpu_s=one_cpu, two_workers_cpu_s=two_cpu, cores=os.cpu_count(),
                                load=os.getloadavg()[0])
    print(f"\n{runs} quoter runs of {UNTIL} on the synthetic session, {os.cpu_count()} cores, "
          f"load {os.getloadavg()[0]:.1f}")
    print(f"  plain build_spec + run, one by one:   {plain:6.1f} s wall, {plain_cpu:6.1f} s CPU "
          f"({plain / runs:.2f} s, {plain_cpu / runs:.2f} s CPU per run)")
    print(f"  sweep, 1 worker:                      {one:6.1f} s wall, {one_cpu:6.1f} s CPU -> overhead per run "
          f"{overhead:+.2f} s = {overhead / (plain / runs):+.1%} of a run (CPU: {overhead_cpu:+.2f} s = "
          f"{overhead_cpu / (plain_cpu / runs):+.1%})")
    print(f"  sweep, 2 workers:                     {two:6.1f} s wall, {two_cpu:6.1f} s CPU -> "
          f"{one / two:.2f}x the 1-worker throughput")
    print(f"  the host's ceiling, 2 busy processes against 1 (before, after): {ceiling[0]:.2f}x, {ceiling[1]:.2f}x")
    print("  stages (workers: wall s, CPU s, runs in flight on average): "
          + "; ".join(f"{w}: {m[0]:.1f}, {m[1]:.1f}, {m[2]:.2f}" for w, m in stages))
    print("  (the CPU seconds per wall second the host gave: "
          + ", ".join(f"{w} worker(s) {m[1] / m[0]:.2f}" for w, m in stages) + f"; plain {plain_cpu / plain:.2f})")
