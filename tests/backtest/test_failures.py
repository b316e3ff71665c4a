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
    result = run_bot("retry_storm.py", duration_s=0.2, latency_ms=0, same_instant_budget=50, storm_failures=10**9)
    assert result["status"] == "ok" and result["reached_end"], result
    # 50 requests per instant, then a forced 1 ms sleep: 0.2 s = 200 instants of 50 requests
    assert result["transport"]["budget_sleeps"] == 200
    assert result.stdout == "retries 10001 until 1772280000.2\n"
    assert result["bot"] == {"outcome": "exit", "exit_code": 2, "t_ns": 1772280000200000000}


def test_a_retry_storm_is_stopped_with_a_message_naming_the_loop(run_bot) -> None:
    result = run_bot("retry_storm.py", duration_s=3600)
    assert result["status"] == "storm", result
    storm = result["storm"]
    assert storm["where"].endswith("retry_storm.py:11 in <module>")
    assert storm["failures"] == 400 and storm["successes"] == 0
    assert "retries without backing off" in result["note"]
    assert result["partial"] is True
    assert result["virtual_elapsed_s"] < 10  # stopped within the first window, not an hour later
    assert any("request storm" in line for line in result["last_lines"]["stderr"])


def test_bot_output_is_capped_keeping_head_and_tail(run_bot) -> None:
    from cmi_sim.backtest import RunConfig, run_in_child
    from pathlib import Path
    import tempfile

    work = Path(tempfile.mkdtemp())
    bot = work / "chatty.py"
    bot.write_text("for i in range(100000):\n    print('line', i)\n")
    config = RunConfig(bot=str(bot), environment="tests.backtest.toy_world:make_environment",
                       result_path=str(work / "r.json"), sys_path=(str(Path(__file__).resolve().parents[2]),))
    result = run_in_child(config, workdir=work / "run", output_cap_bytes=20_000, wall_limit_s=60)
    text = Path(result["stdout_path"]).read_text()
    assert text.startswith("line 0\n") and text.endswith("line 99999\n")
    assert "[cmi-sim] output capped:" in text
    assert len(text) < 20_200
    assert result["output"]["stdout_bytes"] == sum(len(f"line {i}\n") for i in range(100000))
