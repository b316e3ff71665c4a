"""The example bots, backtested unmodified on the default session: a stored summary each, determinism,
and no look-ahead in the data the fair-value bot saw.

Each bot runs twice (the two runs at once, as separate processes): the first run is compared with
``tests/integration/expected/<bot>.json`` by the CLI's own ``--expect``; the two runs must write
byte-identical ``events.jsonl``. A difference between the two runs is a determinism bug, never a
reason to loosen the test.

To regenerate the stored summaries after an intended change of behaviour:

    CMI_SIM_UPDATE_EXPECTED=1 .venv/bin/pytest tests/integration/test_bots_backtest.py
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXPECTED = Path(__file__).resolve().parent / "expected"
UPDATE = os.environ.get("CMI_SIM_UPDATE_EXPECTED") == "1"
RUN_TIMEOUT_S = 120

# bot -> virtual hours after the open: each run takes under ~10 s of wall time.
BOTS = {"quoter": "2h", "etf_arb": "3h", "fair_value": "3h"}


@dataclass
class Runs:
    bot: str
    first: Path
    second: Path
    first_rc: int
    first_output: str


def _command(bot: str, out: Path, expect: bool) -> list[str]:
    cmd = [sys.executable, "-m", "cmi_sim", "backtest", str(ROOT / "bots" / f"{bot}.py"),
           "--until", BOTS[bot], "--out", str(out), "--no-progress"]
    if expect:
        cmd += ["--expect", str(EXPECTED / f"{bot}.json"), "--expect-metrics", "all"]
    return cmd


def _run_twice(bot: str, tmp: Path) -> Runs:
    first, second = tmp / "first", tmp / "second"
    expect = not UPDATE
    procs = [
        subprocess.Popen(_command(bot, first, expect), cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True),
        subprocess.Popen(_command(bot, second, False), cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True),
    ]
    outputs = [p.communicate(timeout=RUN_TIMEOUT_S)[0] for p in procs]
    assert procs[1].returncode == 0, f"second run of {bot} failed:\n{outputs[1]}"
    if UPDATE:
        EXPECTED.mkdir(exist_ok=True)
        summary = json.loads((first / "run.json").read_text())["summary"]
        (EXPECTED / f"{bot}.json").write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n")
    return Runs(bot, first, second, procs[0].returncode, outputs[0])


_RUNS: dict[str, Runs] = {}  # each bot runs twice per session of pytest, whatever uses it


def _runs_of(bot: str, tmp_path_factory: pytest.TempPathFactory) -> Runs:
    if bot not in _RUNS:
        _RUNS[bot] = _run_twice(bot, tmp_path_factory.mktemp(bot))
    return _RUNS[bot]


@pytest.fixture(scope="module", params=list(BOTS))
def runs(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Runs:
    return _runs_of(request.param, tmp_path_factory)


@pytest.fixture(scope="module")
def fair_value_runs(tmp_path_factory: pytest.TempPathFactory) -> Runs:
    return _runs_of("fair_value", tmp_path_factory)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.slow
def test_summary_matches_the_stored_expectation(runs: Runs) -> None:
    assert runs.first_rc == 0, f"{runs.bot}: --expect {EXPECTED / (runs.bot + '.json')} failed " \
                               f"(exit {runs.first_rc}):\n{runs.first_output}"
    summary = json.loads((runs.first / "run.json").read_text())["summary"]
    assert summary["status"] == "completed", summary["errors"]
    assert summary["fills"] > 0, f"{runs.bot} never traded"
    assert summary["rate_violations"] == 0, f"{runs.bot} broke the one-request-per-second rule"
    assert summary["max_abs_position"] <= 100


@pytest.mark.slow
def test_two_runs_write_identical_events(runs: Runs) -> None:
    a, b = runs.first / "events.jsonl", runs.second / "events.jsonl"
    assert _sha256(a) == _sha256(b), f"{runs.bot}: two identical backtests differ (determinism bug): {a} vs {b}"
    summary_a = json.loads((runs.first / "run.json").read_text())["summary"]
    summary_b = json.loads((runs.second / "run.json").read_text())["summary"]
    assert summary_a == summary_b
    assert (runs.first / "bot.stdout").read_bytes() == (runs.second / "bot.stdout").read_bytes()


DATA_LINE = re.compile(r"DATA source=(\w+) fetched_at=(\S+) newest=(\S+) points=(\d+)")


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@pytest.mark.slow
def test_fair_value_never_sees_data_from_its_future(fair_value_runs: Runs) -> None:
    runs = fair_value_runs
    seen: dict[str, int] = {}
    for line in (runs.first / "bot.stdout").read_text().splitlines():
        m = DATA_LINE.search(line)
        if not m:
            continue
        source, fetched_at, newest, points = m.groups()
        assert newest != "-" and int(points) > 0, f"no {source} data: {line}"
        assert _utc(newest) <= _utc(fetched_at), f"look-ahead: {source} data newer than the bot's clock: {line}"
        seen[source] = seen.get(source, 0) + 1
    # tide and weather refresh every 15 virtual minutes, flights every hour, over 3 hours
    assert seen.get("tide", 0) >= 10 and seen.get("weather", 0) >= 10 and seen.get("flights", 0) >= 3, seen
