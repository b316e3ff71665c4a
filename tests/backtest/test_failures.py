"""Bots that crash, spin or block outside the simulator are reported; the runner never hangs."""

from __future__ import annotations

import time


def test_a_bot_that_raises_is_reported_with_its_traceback(run_bot) -> None:
    result = run_bot("raises.py", duration_s=30)
    assert result["status"] == "bot_error" and result["child_exit_code"] == 1
    bot = result["bot"]
    assert bot["outcome"] == "raised"
    assert bot["exception"] == "ValueError: quantity too large: 15"
    assert bot["t_ns"] == 1772280003000000000  # after three 1 s sleeps
    assert bot["traceback"].startswith("Traceback (most recent call last):\n  File \"")
    assert 'raises.py", line 7, in place_order' in bot["traceback"]
    assert "runtime.py" not in bot["traceback"]  # the runner's frames are not the bot's
    assert "ValueError: quantity too large: 15" in result.stderr


def test_a_spin_without_clock_reads_is_reported_by_the_watchdog(run_bot) -> None:
    started = time.monotonic()
    result = run_bot("spinner.py", duration_s=60, watchdog_s=2.0, wall_limit_s=30)
    assert time.monotonic() - started < 15
    assert result["status"] == "watchdog" and result["child_exit_code"] == 3
    report = result["watchdog"]
    assert report["where"].endswith("spinner.py:6 in <module>")  # the `while not flag:` line
    assert "while not flag:" in report["stuck_stack"]
    assert result["virtual_end"] == "2026-02-28T12:00:03.000000000Z"


def test_a_real_blocking_call_is_reported_by_the_watchdog(run_bot) -> None:
    result = run_bot("real_block.py", duration_s=60, watchdog_s=2.0, wall_limit_s=30)
    assert result["status"] == "watchdog"
    assert result["watchdog"]["where"].endswith("real_block.py:6 in <module>")


def test_the_parent_kills_a_child_past_its_wall_limit(run_bot) -> None:
    started = time.monotonic()
    result = run_bot("spinner.py", duration_s=60, watchdog_s=60.0, wall_limit_s=2.0)
    assert result["status"] == "wall_limit" and time.monotonic() - started < 10


def test_a_zero_latency_retry_storm_still_advances_virtual_time(run_bot) -> None:
    result = run_bot("retry_storm.py", duration_s=0.2, latency_ms=0, same_instant_budget=50)
    assert result["status"] == "ok" and result["reached_end"], result
    # 50 requests per instant, then a forced 1 ms sleep: 0.2 s = 200 instants of 50 requests
    assert result["transport"]["budget_sleeps"] == 200
    assert result.stdout == "retries 10001 until 1772280000.2\n"
    assert result["bot"] == {"outcome": "exit", "exit_code": 2, "t_ns": 1772280000200000000}
