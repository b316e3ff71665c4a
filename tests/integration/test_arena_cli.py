"""`cmi-sim arena` end to end: real bot files, one process per bot, the run directory and the leaderboard.

The issue's check runs `--until 6h`; here the sessions are cut to 1 hour (the determinism check) and
75 minutes (the bot that leaves after one virtual hour) to keep the suite's time down.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BOTS = ROOT / "bots"
ARENA_BOTS = Path(__file__).resolve().parent / "arena_bots"
THREE = [str(BOTS / "quoter.py"), str(BOTS / "etf_arb.py"), str(BOTS / "fair_value.py")]


def arena(*args: str, out: Path, env: dict[str, str]) -> tuple[subprocess.CompletedProcess, dict]:
    done = subprocess.run([sys.executable, "-m", "cmi_sim", "arena", *args, "--out", str(out)],
                          capture_output=True, text=True, timeout=900, env=env)
    run = json.loads((out / "run.json").read_text()) if (out / "run.json").exists() else {}
    return done, run


@pytest.mark.slow
@pytest.mark.timeout(1200)
def test_three_bots_twice_give_identical_events_and_a_three_entry_leaderboard(tmp_path, clean_env):
    first, run = arena(*THREE, "--until", "1h", out=tmp_path / "a", env=clean_env)
    assert first.returncode == 0, first.stderr
    second, again = arena(*THREE, "--until", "1h", out=tmp_path / "b", env=clean_env)
    assert second.returncode == 0, second.stderr
    assert (tmp_path / "a" / "events.jsonl").read_bytes() == (tmp_path / "b" / "events.jsonl").read_bytes()
    assert run["events_sha256"] == again["events_sha256"]
    board = run["leaderboard"]
    assert [row["name"] for row in board] == [row["name"] for row in again["leaderboard"]]
    assert len(board) == 3
    assert {row["account"] for row in board} == {"simple_quoter", "etf_arb", "fair_value"}
    for row in board:
        assert {"bot", "account", "status", "total_pnl", "score", "pnl", "fills", "requests",
                "rate_violations", "rank"} <= set(row)
        assert row["status"] == "completed"
        assert row["total_pnl"] == pytest.approx(sum(row["pnl"].values()))
    assert [row["score"] for row in board] == sorted((row["score"] for row in board), reverse=True)
    assert [row["rank"] for row in board] == [1, 2, 3]
    assert board[0]["fills"] + board[1]["fills"] + board[2]["fills"] > 0
    for row in board:  # every bot made requests and has its own outputs
        assert row["requests"] > 0
        output = Path(row["output"])
        assert (output / "stdout").exists() and (output / "result.json").exists()
        assert (output / "fills.parquet").exists() and (output / "equity.png").exists()
    assert "leaderboard" in first.stdout and "simple_quoter" in first.stdout


@pytest.mark.slow
@pytest.mark.timeout(1200)
def test_a_bot_that_calls_os_exit_is_reported_failed_while_the_others_complete(tmp_path, clean_env):
    quitter = str(ARENA_BOTS / "exits_after.py")
    done, run = arena(*THREE, quitter, "--until", "75m", out=tmp_path, env=clean_env)
    assert done.returncode == 3, done.stderr  # a failed bot fails the run
    board = {row["name"]: row for row in run["leaderboard"]}
    assert len(board) == 4
    assert board["exits_after"]["status"] == "failed"
    assert "os._exit with code 1" in board["exits_after"]["why"]
    assert board["exits_after"]["left_at"].startswith("2026-02-28T15:30")  # one virtual hour after the open
    assert board["exits_after"]["account"] == "quitter"
    for name in ("quoter", "etf_arb", "fair_value"):
        assert board[name]["status"] == "completed", board[name]
        assert board[name]["requests"] > 0
    assert "exits_after failed" in done.stderr
    # The others kept trading after it left: the quoter's requests go on past the 60th minute.
    events = [json.loads(line) for line in (tmp_path / "events.jsonl").read_text().splitlines()]
    last_quoter = max(e["ts"] for e in events if e.get("owner") == "simple_quoter")
    last_quitter = max(e["ts"] for e in events if e.get("owner") == "quitter")
    assert last_quoter > last_quitter + 10 * 60 * 10**9


def test_bad_input_is_one_line_and_nonzero(tmp_path, clean_env):
    done, _ = arena(str(tmp_path / "missing.py"), out=tmp_path / "x", env=clean_env)
    assert done.returncode == 1
    assert done.stderr.strip().startswith("cmi-sim: error: no bot file")
    done, _ = arena(THREE[0], "--latency-ms", "0", out=tmp_path / "y", env=clean_env)
    assert done.returncode == 1 and "latency" in done.stderr
    done, _ = arena(THREE[0], "--until", "30h", out=tmp_path / "z", env=clean_env)
    assert done.returncode == 1 and "--until" in done.stderr
    done, _ = arena(out=tmp_path / "w", env=clean_env)
    assert done.returncode == 1 and "at least one bot" in done.stderr
    spec = tmp_path / "arena.toml"
    spec.write_text('[[bot]]\npath = "nowhere.py"\n')
    done, _ = arena("--spec", str(spec), out=tmp_path / "v", env=clean_env)
    assert done.returncode == 1 and "no bot file" in done.stderr


def test_a_spec_file_runs_copies_with_their_own_accounts_and_a_shared_account_is_refused(tmp_path, clean_env):
    spec = tmp_path / "arena.toml"
    spec.write_text(f'until = "2m"\n\n[[bot]]\npath = "{BOTS / "quoter.py"}"\nname = "q"\ncopies = 2\n'
                    'args = ["--username", "q_{copy}", "--width", "{copy}"]\n')
    done, run = arena("--spec", str(spec), out=tmp_path / "copies", env=clean_env)
    assert done.returncode == 0, done.stderr
    assert sorted((row["name"], row["account"], row["status"]) for row in run["leaderboard"]) == [
        ("q-1", "q_1", "completed"), ("q-2", "q_2", "completed")]
    assert run["arena"]["participants"] == [{"name": "q-1", "memory_mb": 2048, "cpu_s": 3600.0},
                                            {"name": "q-2", "memory_mb": 2048, "cpu_s": 3600.0}]
    # The same script twice with its default username: the second login is refused, clearly.
    done, run = arena(THREE[0], THREE[0], "--until", "2m", out=tmp_path / "shared", env=clean_env)
    assert done.returncode == 3
    board = {row["name"]: row for row in run["leaderboard"]}
    assert board["quoter-1"]["status"] == "completed"
    assert board["quoter-2"]["status"] == "failed"
    assert "already trades for another participant" in board["quoter-2"]["why"]
