"""Every blocking primitive and clock takes exactly its virtual duration (tests/backtest/bots/edge_cases.py)."""

from __future__ import annotations

import pytest

EXPECTED_NS = {
    "time.sleep": 1_500_000_000,
    "from_time_sleep": 250_000_000,
    "Timer(7.5)": 7_500_000_000,
    "Condition.wait_for(4)": 4_000_000_000,
    "Lock.acquire(2.5)": 2_500_000_000,
    "Queue.get(1.25)": 1_250_000_000,
    "Semaphore.acquire(0.5)": 500_000_000,
    "Event.wait(3)": 3_000_000_000,
    "Thread.join(6)": 6_000_000_000,
    "ThreadPoolExecutor.map(3 workers)": 3_000_000_000,
    "ThreadPoolExecutor.map(2 workers)": 4_000_000_000,
    "busy-wait(5)": 5_000_000_000,
}


@pytest.fixture(scope="module")
def edge_output(run_bot_module) -> dict[str, str]:
    result = run_bot_module("edge_cases.py", duration_s=600)
    assert result["status"] == "ok", result
    return {line.split(" ")[0]: line for line in result.lines()}


@pytest.mark.parametrize("name", sorted(EXPECTED_NS))
def test_primitive_takes_exactly_its_virtual_duration(edge_output: dict[str, str], name: str) -> None:
    line = next(v for v in edge_output.values() if v.startswith(name + " "))
    elapsed = int(line[len(name) + 1 :].split(" ")[0])
    assert elapsed == EXPECTED_NS[name], line


def test_wall_clocks_start_at_the_session_opening(edge_output: dict[str, str]) -> None:
    assert edge_output["ctime"] == "ctime Sat Feb 28 12:00:00 2026"
    assert edge_output["asctime"] == "asctime Sat Feb 28 12:00:00 2026"
    assert edge_output["now"] == "now 2026-02-28T12:00:00+00:00"
    assert edge_output["utcnow"] == "utcnow 2026-02-28T12:00:00"
    assert edge_output["today"] == "today 2026-02-28"
    assert edge_output["time"] == "time 1772280000.0"
    assert edge_output["gmtime"] == "gmtime 2026-02-28 12:00:00"
    assert edge_output["strftime"] == "strftime 12:00:00"
    assert edge_output["clock_realtime"] == "clock_realtime 1772280000.0"
    assert edge_output["monotonic"] == "monotonic 1000.0"
    assert edge_output["clock_monotonic_ns"] == "clock_monotonic_ns 1000000000000"


def test_float_clocks_measure_virtual_durations(edge_output: dict[str, str]) -> None:
    assert edge_output["perf_counter"] == "perf_counter 3.0"
    assert edge_output["time.time"] == "time.time 2.0"
    assert edge_output["datetime"] == "datetime 4.0"
    # 0 + 1.5 + .25 + 3 + 2 + 4 + 7.5 + 4 + 2.5 + 1.25 + .5 + 3 + 6 + 3 + 4 + 5 = 47.5 virtual seconds
    assert edge_output["end"] == "end 2026-02-28T12:00:47.500000+00:00"
