"""Whole runs through the child process against the toy world: determinism, speed, end of session."""

from __future__ import annotations

from pathlib import Path


def test_same_bot_twice_gives_byte_identical_output(run_bot) -> None:
    first = run_bot("deterministic.py", duration_s=120, seed=7)
    second = run_bot("deterministic.py", duration_s=120, seed=7)
    assert first["status"] == second["status"] == "ok", (first, first.stderr)
    assert first.stdout == second.stdout
    assert first.stderr == second.stderr  # logging with %(asctime)s and thread names
    assert "uuid4" in first.stdout and "interrupted" in first.stderr
    assert first["virtual_end_ns"] == second["virtual_end_ns"]
    assert first["loop"] == second["loop"]


def test_another_seed_changes_the_entropy_but_not_the_schedule(run_bot) -> None:
    a = run_bot("deterministic.py", duration_s=30, seed=1)
    b = run_bot("deterministic.py", duration_s=30, seed=2)
    uuid_a = next(line for line in a.lines() if line.startswith("uuid4"))
    uuid_b = next(line for line in b.lines() if line.startswith("uuid4"))
    assert uuid_a != uuid_b
    assert "hash-order True ['x', 'y']" in a.stdout


def test_24_virtual_hours_of_polling_take_a_few_wall_seconds(run_bot) -> None:
    result = run_bot("sleep_loop.py", duration_s=86_400, wall_limit_s=60)
    assert result["status"] == "ok" and result["reached_end"], result
    # one request every 5.001 virtual s (1 ms latency) for 24 h, then Ctrl-C at exactly the end
    assert result.stdout == "requests 17277 at 2026-03-01T12:00:00\n"
    assert result["transport"]["n_requests"] == 17_277
    assert result["world"]["published"] == 86_400
    assert result["wall_s"] < 30, result["wall_s"]
    print(f"24 h sleep loop: {result['wall_s']} s wall, {result['transport']['n_requests']} requests, "
          f"{result['loop']['n_timer_fires']} timer fires")


def test_end_of_session_interrupts_then_waits_for_non_daemon_threads(run_bot) -> None:
    result = run_bot("stopper.py", duration_s=30, grace_s=10)
    assert result["status"] == "ok" and result["reached_end"], result
    # Ctrl-C at 30 s exactly (the bot's own wake-up at 30 s does not run: end has priority);
    # the worker notices within 0.7 s, takes 2 s more, and the bot's join(timeout=5) returns then.
    assert result.lines() == [
        "interrupted at 1772280030.0",
        "worker stopped at 1772280032.1",
        "stopped at 1772280032.1",
    ]
    assert result["virtual_end"] == "2026-02-28T12:00:32.100000000Z"


def test_a_bot_that_ignores_ctrl_c_is_cut_after_the_grace_period(run_bot, tmp_path: Path) -> None:
    bot = tmp_path / "stubborn.py"
    bot.write_text(
        "import time\n"
        "while True:\n"
        "    try:\n"
        "        time.sleep(1)\n"
        "    except KeyboardInterrupt:\n"
        "        print('ignored at', time.time(), flush=True)\n"
    )
    result = run_bot(bot, duration_s=10, grace_s=4)
    assert result["status"] == "ok" and result["reached_end"]
    assert "did not stop within 4 virtual s" in result["note"]
    assert result["virtual_end"] == "2026-02-28T12:00:14.000000000Z"
    assert result.stdout == "ignored at 1772280010.0\n"
