"""The recorder against a session-mode `cmi-sim serve` that is killed with SIGKILL and restarted on the
same port (issue 19): it logs in again at once, and loses no trade of either run."""

from __future__ import annotations

import time

import requests
from serve_process import ServeProcess, free_port

from replay import RecordingWriter, read_recording
from replay.recorder import Recorder

SESSION = ("--session", "london-2026-02-28", "--speed", "120")


def wait_for(condition, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def _tape(url: str) -> list[tuple[str, str, float, int]]:
    token = requests.post(f"{url}/api/user/authenticate", json={"username": "auditor", "password": "pw"},
                          timeout=10).headers["Authorization"]
    trades = requests.get(f"{url}/api/trade", headers={"Authorization": token}, timeout=30).json()
    return [(t["timestamp"], t["product"], t["price"], t["volume"]) for t in trades]


def _recorded(path) -> tuple[list[tuple[str, str, float, int]], list[str]]:
    rec = read_recording(path)
    trades = [(row.timestamp, row.product, float(row.price), int(row.volume)) for row in rec.trades.itertuples()]
    return trades, rec.gaps.event.tolist()


def _record(url: str, out) -> tuple[Recorder, RecordingWriter]:
    writer = RecordingWriter(out, url, "rec", time.time_ns(), speed=120, flush_interval_s=0.2)
    recorder = Recorder(url, "rec", "pw", writer, rest_interval_s=0.2, backoff_s=(0.05, 0.5))
    recorder.start()
    return recorder, writer


def test_the_recorder_loses_nothing_across_a_kill_9_of_a_journaled_session_server(tmp_path):
    port, journal = free_port(), tmp_path / "journal"
    first = ServeProcess(*SESSION, "--journal", str(journal), port=port)
    recorder, writer = _record(first.url, tmp_path / "rec")
    try:
        wait_for(lambda: recorder.status.trades > 10)
        before_kill = _tape(first.url)
        first.kill9()
        second = ServeProcess(*SESSION, "--journal", str(journal), port=port)
        try:
            wait_for(lambda: recorder.status.stream_connected)
            seen = recorder.status.trades
            wait_for(lambda: recorder.status.trades > seen + 10)
            recorder.stop()
            tape = _tape(second.url)
        finally:
            second.stop()
    finally:
        recorder.stop()
        writer.close(time.time_ns())
        first.stop()
    trades, gaps = _recorded(tmp_path / "rec")
    assert tape[:len(before_kill)] == before_kill  # the journal kept the first run's tape
    assert trades == tape[:len(trades)]  # every trade, in order, none lost or doubled
    assert len(trades) > len(before_kill)
    assert "restart" not in gaps  # the same tape went on: one segment


def test_the_recorder_starts_a_new_segment_when_a_restarted_server_lost_its_tape(tmp_path):
    port = free_port()
    first = ServeProcess(*SESSION, port=port)
    recorder, writer = _record(first.url, tmp_path / "rec")
    try:
        wait_for(lambda: recorder.status.trades > 10)
        first.kill9()
        first_run = recorder.status.trades
        second = ServeProcess(*SESSION, port=port)  # no journal: a new tape, its clock back at the open
        try:
            wait_for(lambda: recorder.status.segments == 2)
            login_again = time.monotonic()
            wait_for(lambda: recorder.status.stream_connected, timeout=5)
            assert time.monotonic() - login_again < 3  # a 401 logs in again at once, no 10 s back-off
            wait_for(lambda: recorder.status.trades > first_run + 10)
            recorder.stop()
            tape = _tape(second.url)
        finally:
            second.stop()
    finally:
        recorder.stop()
        writer.close(time.time_ns())
        first.stop()
    trades, gaps = _recorded(tmp_path / "rec")
    assert "restart" in gaps
    second_segment = trades[first_run:]
    assert second_segment == tape[:len(second_segment)]  # the new run's tape from its first trade
    assert second_segment[0][0] < trades[first_run - 1][0]  # its clock went back: a new `from`
