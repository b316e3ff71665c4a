"""The arena engine: one process per bot in lock-step; equivalence with a backtest, isolation, limits."""

from __future__ import annotations

from pathlib import Path

import pytest

from cmi_sim.arena.run import run_arena
from cmi_sim.arena.spec import ArenaSpec, participant_from_path
from cmi_sim.backtest.launch import backtest
from cmi_sim.exchange import parse_timestamp

ROOT = Path(__file__).resolve().parents[2]
QUOTER = ROOT / "bots" / "quoter.py"
ARENA_BOTS = ROOT / "tests" / "integration" / "arena_bots"


def arena(tmp_path: Path, *participants, until: str = "10m", name: str = "run", tables: bool = False, **options):
    spec = ArenaSpec(participants=tuple(participants), until=until, **options)
    return run_arena(spec, out=tmp_path / name, wall_limit_s=600, tables=tables)


@pytest.mark.slow
def test_one_bot_arena_gives_the_backtests_events_byte_for_byte(tmp_path):
    """A backtest is the one-participant case: the lock-step protocol changes nothing that happens."""
    outcome = arena(tmp_path, participant_from_path(QUOTER), tables=True)
    alone = backtest(QUOTER, until="10m", out=tmp_path / "backtest")
    events = (outcome.run_dir / "events.jsonl").read_bytes()
    assert events and events == (tmp_path / "backtest" / "events.jsonl").read_bytes()
    # The same run model: the arena's spec is the backtest's with its participants, and the results are
    # typed the same way.
    assert outcome.record["spec"] == alone.spec.to_dict()
    assert outcome.record["run_id"] == alone.id
    mine, theirs = outcome.result.participant, alone.participant
    assert (mine.account, mine.total_pnl, mine.fills_count, mine.requests, mine.volume, mine.positions_final) == (
        theirs.account, theirs.total_pnl, theirs.fills_count, theirs.requests, theirs.volume, theirs.positions_final)
    # refused requests are counted the one way (the quoter's cancels of orders already filled, in ten minutes)
    assert mine.rejections and mine.rejections == theirs.rejections
    assert mine.rejections_by_endpoint == theirs.rejections_by_endpoint
    assert mine.fills["price"].tolist() == theirs.fills["price"].tolist()


@pytest.mark.slow
def test_a_bot_that_vandalises_its_interpreter_does_not_touch_another(tmp_path):
    alone = arena(tmp_path, participant_from_path(QUOTER), name="alone")
    beside = arena(tmp_path, participant_from_path(QUOTER), participant_from_path(ARENA_BOTS / "patcher.py"),
                   name="beside")
    assert (beside.run_dir / "events.jsonl").read_bytes() == (alone.run_dir / "events.jsonl").read_bytes()
    board = {row["name"]: row for row in beside.leaderboard}
    assert board["quoter"]["status"] == "completed"
    assert board["quoter"]["total_pnl"] == alone.leaderboard[0]["total_pnl"]
    assert board["patcher"]["account"] is None  # it never logged in


@pytest.mark.slow
def test_memory_and_cpu_limits_stop_only_the_bot_that_exceeds_them(tmp_path):
    hog = ARENA_BOTS / "hog.py"
    outcome = arena(tmp_path,
                    participant_from_path(QUOTER),
                    participant_from_path(hog, ("--memory", "1500"), name="memory-hog", memory_mb=600),
                    participant_from_path(hog, ("--spin",), name="cpu-hog", cpu_s=2),
                    until="5m")
    board = {row["name"]: row for row in outcome.leaderboard}
    assert board["quoter"]["status"] == "completed"
    assert board["quoter"]["requests"] > 100
    assert board["memory-hog"]["status"] == "failed"
    assert "MemoryError" in board["memory-hog"]["why"]
    assert board["cpu-hog"]["status"] == "failed"
    assert "signal" in board["cpu-hog"]["why"]  # SIGXCPU (then SIGKILL) from RLIMIT_CPU


@pytest.mark.slow
def test_a_bot_that_forges_messages_to_the_coordinator_is_stopped(tmp_path):
    outcome = arena(tmp_path, participant_from_path(QUOTER), participant_from_path(ARENA_BOTS / "forger.py"),
                    until="5m")
    board = {row["name"]: row for row in outcome.leaderboard}
    assert board["forger"]["status"] == "failed"
    assert board["forger"]["why"].startswith("protocol")
    assert board["quoter"]["status"] == "completed"


@pytest.mark.slow
def test_a_bot_that_stops_in_the_middle_of_a_message_is_stopped(tmp_path, monkeypatch):
    from cmi_sim.arena import coordinator

    monkeypatch.setattr(coordinator, "MESSAGE_TIMEOUT_S", 1.5)
    outcome = arena(tmp_path, participant_from_path(QUOTER), participant_from_path(ARENA_BOTS / "half_message.py"),
                    until="5m")
    board = {row["name"]: row for row in outcome.leaderboard}
    assert board["half_message"]["status"] == "failed"
    assert board["half_message"]["why"] == "protocol: the bot process stopped in the middle of a message"
    assert board["quoter"]["status"] == "completed"


def test_a_run_stopped_at_its_wall_limit_keeps_its_events_and_says_so(tmp_path):
    spec = ArenaSpec(participants=(participant_from_path(QUOTER),))
    outcome = run_arena(spec, out=tmp_path / "run", wall_limit_s=6, tables=False)
    assert outcome.record["coordinator"]["wall_limited"]
    assert [row["status"] for row in outcome.leaderboard] == ["failed"]
    assert [error["kind"] for error in outcome.leaderboard[0]["errors"]] == ["wall_limit"]
    lines = (tmp_path / "run" / "events.jsonl").read_text().splitlines()
    assert lines and lines[-1].endswith("}")  # whole lines only
    assert outcome.record["n_events"] == len(lines)
    assert not outcome.record["settled"]


def test_a_bot_that_goes_around_the_guard_finds_no_network(tmp_path):
    """Each bot process has a network namespace of its own: even a raw C-level socket reaches nothing,
    not even this machine's loopback."""
    import socket

    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.1)
    port = listener.getsockname()[1]
    try:
        outcome = arena(tmp_path, participant_from_path(ARENA_BOTS / "raw_socket.py", (str(port),)), until="2m")
        with pytest.raises(TimeoutError):
            listener.accept()  # nobody ever connected
    finally:
        listener.close()
    output = Path(outcome.leaderboard[0]["output"]) / "stdout"
    assert output.read_text().startswith("no network:")


def _arrival_times(outcome) -> list[int]:
    listener = next(row for row in outcome.leaderboard if row["name"] == "stream_clock")
    return [int(line) for line in (Path(listener["output"]) / "stdout").read_text().split()]


def test_with_a_stream_cadence_frames_come_in_batches_on_its_multiples_and_runs_repeat(tmp_path):
    listener = participant_from_path(ARENA_BOTS / "stream_clock.py", ("--events", "60"))
    batched = [arena(tmp_path, participant_from_path(QUOTER), listener, until="10m", name=f"batched-{n}",
                     stream_cadence_ms=1000) for n in (1, 2)]
    exact = arena(tmp_path, participant_from_path(QUOTER), listener, until="10m", name="exact")
    for outcome in (*batched, exact):
        assert [row["status"] for row in outcome.leaderboard] == ["completed", "completed"]
    times = _arrival_times(batched[0])
    assert len(times) == 60
    open_ns = parse_timestamp(batched[0].record["virtual_start"])
    assert all((t - open_ns) % 1_000_000_000 == 0 for t in times)
    assert len(set(times)) < len(times)  # several frames in one batch
    assert any((t - open_ns) % 1_000_000_000 for t in _arrival_times(exact))  # not so without a cadence
    first, second = (outcome.run_dir / "events.jsonl" for outcome in batched)
    assert first.read_bytes() == second.read_bytes()
    assert batched[0].record["arena"]["stream_cadence_ms"] == 1000
    assert batched[0].record["run_id"] != exact.record["run_id"]
