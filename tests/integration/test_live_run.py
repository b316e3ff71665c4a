"""`cmi-sim run` against `cmi-sim serve --session london-2026-02-28 --speed 60`, both real subprocesses on
127.0.0.1: an unmodified bot with hard-coded https data-API URLs and a hard-coded exchange host gets the
session's data as of the session clock, places orders and fills, and its clock reads the session's time.
Two bots share the server at once."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
BOT = ROOT / "tests" / "live_bots" / "tide_weather_bot.py"
OPEN = datetime.fromisoformat("2026-02-28T14:30:00+00:00")
TIDE_LAG = timedelta(minutes=30)  # the session's tide publication lag


@pytest.fixture
def server(clean_env):
    process = subprocess.Popen([sys.executable, "-m", "cmi_sim", "serve", "--session", "london-2026-02-28",
                                "--speed", "60", "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True, env=clean_env, cwd=ROOT)
    try:
        url = None
        for line in process.stdout:
            match = re.search(r"listening on (http://127\.0\.0\.1:\d+)", line)
            if match:
                url = match.group(1)
                break
        assert url, "the server did not start"
        yield url
    finally:
        process.terminate()
        process.wait(timeout=20)


def _run(url: str, env: dict, rounds: int, out: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "cmi_sim", "run", str(BOT), "--exchange", url, "--out", str(out),
                             "--", str(rounds), out.name], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            cwd=ROOT)


def _stamp(text: str) -> datetime:
    """An ISO time with any number of fractional digits (the exchange writes nine)."""
    if text.endswith("Z"):
        text = text[:-1]
        if "." in text:
            whole, fraction = text.split(".")
            text = f"{whole}.{fraction[:6]}"
        text += "+00:00"
    return datetime.fromisoformat(text)


def test_an_unmodified_bot_runs_live_on_the_session_clock_with_its_data(server, clean_env, tmp_path):
    runs = [_run(server, clean_env, 3, tmp_path / "first"), _run(server, clean_env, 2, tmp_path / "second")]
    outputs = []
    for run in runs:
        stdout, stderr = run.communicate(timeout=120)
        assert run.returncode == 0, stderr
        assert "cmi-sim run: ok" in stderr
        outputs.append([json.loads(line) for line in stdout.splitlines()])
    log = outputs[0]
    clock = requests.get(f"{server}/cmi-sim/clock", timeout=5).json()
    server_now = _stamp(clock["now"])

    # Its clock reads the session's time, not the real date: after the open, before the server's now.
    start = log[0]
    assert start["event"] == "start"
    started = _stamp(start["clock"])
    assert OPEN <= started <= server_now
    assert 20 < start["hours_to_settlement"] < 21.6  # 21.5 h at the open, never the real date's "139.0"
    # ...and runs at the server's speed: the bot sleeps 60 s between rounds, in session time.
    data = [entry for entry in log if entry["event"] == "data"]
    assert len(data) == 3
    gaps = [(_stamp(b["clock"]) - _stamp(a["clock"])).total_seconds() for a, b in zip(data, data[1:])]
    assert all(60 <= gap < 120 for gap in gaps), gaps  # 60 s asleep plus seven requests

    # The session's data, as of its clock: the tide published by then, the current weather slot.
    for entry in data:
        now = _stamp(entry["clock"])
        tide_time = _stamp(entry["tide_latest"])
        assert now - TIDE_LAG - timedelta(minutes=16) < tide_time <= now - TIDE_LAG
        weather_slot = datetime.fromisoformat(entry["weather_time"] + "+00:00")
        assert now - timedelta(minutes=16) < weather_slot <= now
        assert entry["departures"] > 0
        assert entry["temperature_unit"] == "°F" and 30 < entry["temperature_f"] < 65  # as the bot asked

    # Orders over HTTP to the server, with fills stamped on the same clock the bot reads.
    # (The bot buys 10 above the best ask it read; on a loaded machine the market can move further
    # in the session seconds between its two requests, so an order may rest instead.)
    orders = [entry for entry in log if entry["event"] == "order"]
    assert len(orders) == 6 and all(entry["status"] in ("FILLED", "PART_FILLED", "ACTIVE") for entry in orders)
    assert sum(entry["status"] == "FILLED" for entry in orders) >= 3
    for entry in orders:
        assert abs((_stamp(entry["clock"]) - _stamp(entry["timestamp"])).total_seconds()) < 30  # a round trip
    assert log[-1]["event"] == "done"
    for product in ("TIDE_SPOT", "WX_SPOT"):
        assert log[-1]["positions"].get(product, 0) >= sum(e["filled"] for e in orders if e["product"] == product)

    # A second bot shared the server at the same time.
    second = outputs[1]
    assert second[-1]["event"] == "done" and sum(e["event"] == "order" for e in second) == 4
    assert any(e.get("status") == "FILLED" for e in second)
    result = json.loads((tmp_path / "first" / "result.json").read_text())
    assert result["world"]["forwarded"]["data"] == 9 and result["refused"] == []


def test_run_against_nothing_is_a_one_line_error(clean_env, tmp_path):
    done = subprocess.run([sys.executable, "-m", "cmi_sim", "run", str(BOT), "--exchange", "http://127.0.0.1:9"],
                          capture_output=True, text=True, env=clean_env, timeout=60)
    assert done.returncode == 1
    assert done.stderr.startswith("cmi-sim: error: cannot read the session clock at http://127.0.0.1:9/cmi-sim/clock")
    assert len(done.stderr.strip().splitlines()) == 1
    missing = subprocess.run([sys.executable, "-m", "cmi_sim", "run", str(tmp_path / "nope.py"), "--exchange",
                              "http://127.0.0.1:9"], capture_output=True, text=True, env=clean_env, timeout=60)
    assert missing.returncode == 1 and "no bot file" in missing.stderr


def test_a_streaming_bot_gets_its_fills_from_the_market_stream_and_stops_cleanly(server, clean_env, tmp_path):
    """The quoter reads books and fills from the SSE stream (an OS thread reads it in the sandbox);
    stopping `cmi-sim run` stops the bot's process too."""
    run = subprocess.Popen([sys.executable, "-m", "cmi_sim", "run", str(ROOT / "bots" / "quoter.py"), "--exchange",
                            server, "--out", str(tmp_path), "--", "--username", "streamer", "--password", "pw",
                            "--products", "TIDE_SPOT", "WX_SPOT"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True, env=clean_env, cwd=ROOT)
    fills = []
    deadline = time.monotonic() + 60
    for line in run.stdout:
        if line.startswith("filled:"):
            fills.append(line)
        if len(fills) >= 3 or time.monotonic() > deadline:
            break
    run.send_signal(signal.SIGTERM)
    _out, err = run.communicate(timeout=30)
    assert len(fills) >= 3, err
    assert run.returncode == 130 and "interrupted" in err
    config = str(tmp_path / "config.json")
    alive = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    assert config not in alive  # the sandboxed bot went with it
