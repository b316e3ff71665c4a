"""A run's result means what it says: broken bots fail with a non-zero exit and a named error, broken
settings are refused before the run, the exchange's rules apply in backtests, the event log can be
light, and the Python API returns a typed result."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cmi_sim.sessions.session import _builtin_dirs

ROOT = Path(__file__).resolve().parents[2]
BOT_TEMPLATE_PATH = str(ROOT / "bots")

EXITS_AT_ONCE = "import sys\nsys.exit(3)\n"
ARGPARSE_TYPO = ("import argparse\np = argparse.ArgumentParser()\np.add_argument('--width', type=int)\n"
                 "p.parse_args()\n")
WORKER_RAISES = '''
import threading, time
def work():
    time.sleep(5)
    raise RuntimeError("the worker broke")
threading.Thread(target=work, daemon=True).start()
while True:
    time.sleep(60)
'''
HANDLER_RAISES = f'''
import sys, time
sys.path.insert(0, {BOT_TEMPLATE_PATH!r})
from bot_template import BaseBot

class Bot(BaseBot):
    def on_orderbook(self, orderbook):
        1 / 0

    def on_trades(self, trades):
        pass

bot = Bot("http://exchange.example", "handler", "pw")
bot.start()
while True:
    time.sleep(60)
'''
RUNS_TO_THE_CLOSE = '''
import time, requests
URL = "http://exchange.example"
token = requests.post(URL + "/api/user/authenticate", json={"username": "calm", "password": "pw"}).headers["Authorization"]
while True:
    requests.get(URL + "/api/product", headers={"Authorization": token})
    time.sleep(30)
'''
HASTY = '''
import time, requests
URL = "http://exchange.example"
token = requests.post(URL + "/api/user/authenticate", json={"username": "hasty", "password": "pw"}).headers["Authorization"]
headers = {"Authorization": token}
codes = []
for i in range(40):
    codes.append(requests.post(URL + "/api/order", json={"product": "TIDE_SPOT", "price": 1, "side": "BUY",
                                                          "volume": 1}, headers=headers).status_code)
    time.sleep(0.25)
print(" ".join(map(str, codes)), flush=True)
while True:
    time.sleep(60)
'''


def cli(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cmi_sim", "backtest", "--no-progress", *args], capture_output=True,
                          text=True, timeout=300, env=env, cwd=cwd)


def write(tmp_path: Path, name: str, code: str) -> Path:
    path = tmp_path / name
    path.write_text(code)
    return path


def run_record(out: Path) -> dict:
    return json.loads((out / "run.json").read_text())


@pytest.mark.parametrize("code, kind, message", [
    (EXITS_AT_ONCE, "bot_exit", "exited with code 3"),
    (ARGPARSE_TYPO.replace("p.parse_args()", "p.parse_args(['--widht', '3'])"), "bot_exit", "exited with code 2"),
    (WORKER_RAISES, "thread_error", "RuntimeError: the worker broke"),
    (HANDLER_RAISES, "caught_tracebacks", "ZeroDivisionError: division by zero"),
])
def test_broken_bots_fail_with_exit_3_and_the_summary_names_the_error(tmp_path, clean_env, code, kind, message):
    bot = write(tmp_path, "bot.py", code)
    done = cli(str(bot), "--session", "synthetic", "--until", "5m", "--out", str(tmp_path / "run"), cwd=tmp_path,
               env=clean_env)
    assert done.returncode == 3, done.stderr
    summary = run_record(tmp_path / "run")["summary"]
    assert summary["status"] == "failed"
    error = summary["errors"][0]
    assert error["kind"] == kind and message in error["message"]
    assert f"{kind}" in done.stderr and message in done.stderr
    assert "FAILED" in done.stdout  # the status row
    if kind == "caught_tracebacks":
        assert error["count"] > 100  # one per book: every printed traceback is counted
        assert "handler.py" not in error["traceback"] and "bot.py" in error["traceback"]
        assert "the bot's last" in done.stderr and "| ZeroDivisionError: division by zero" in done.stderr
    if kind == "thread_error":
        assert "the worker broke" in error["traceback"]


def test_the_bot_gets_its_environment_and_arguments(tmp_path, clean_env):
    bot = write(tmp_path, "env_bot.py", "import os, sys\nprint(os.environ['WIDTH'], sys.argv[1:], flush=True)\n")
    done = cli(str(bot), "--session", "synthetic", "--until", "5m", "--env", "WIDTH=3", "--out", str(tmp_path / "run"),
               "--", "--fast", "x", cwd=tmp_path, env=clean_env)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "run" / "bot.stdout").read_text() == "3 ['--fast', 'x']\n"
    spec = json.loads((tmp_path / "run" / "spec.json").read_text())
    assert spec["participants"][0]["env"] == {"WIDTH": "3"} and spec["participants"][0]["args"] == ["--fast", "x"]


def test_a_bot_still_running_at_the_close_completes_without_a_keyboardinterrupt_traceback(tmp_path, clean_env):
    bot = write(tmp_path, "calm.py", RUNS_TO_THE_CLOSE)
    done = cli(str(bot), "--session", "synthetic", "--until", "10m", "--out", str(tmp_path / "run"), cwd=tmp_path,
               env=clean_env)
    assert done.returncode == 0, done.stderr
    summary = run_record(tmp_path / "run")["summary"]
    assert summary["status"] == "completed" and summary["bot_outcome"] == "running at close"
    assert "Traceback" not in (tmp_path / "run" / "bot.stderr").read_text()
    assert f"run directory: {tmp_path / 'run'}\n" in done.stdout  # whole, on its own line


def _session_copy(tmp_path: Path, edit: tuple[str, str] | None = None) -> Path:
    session = tmp_path / "session"
    shutil.copytree(_builtin_dirs()["synthetic"], session)
    if edit:
        manifest = session / "session.toml"
        manifest.write_text(manifest.read_text().replace(*edit, 1))
    return session


def test_configuration_errors_are_refused_before_the_run_with_exit_1_naming_the_setting(tmp_path, clean_env):
    bot = write(tmp_path, "bot.py", RUNS_TO_THE_CLOSE)
    session = _session_copy(tmp_path, ("[market.params]", "[market.params]\nnoise_trader = 12"))
    cases = [
        (["--session", str(session)], "noise_trader"),
        ([str(write(tmp_path, "other.py", EXITS_AT_ONCE))], "unexpected argument(s)"),  # two bot paths
        (["--rate-limit", "enforce", "--position-limit", "0"], "position_limit"),
        (["--events", "none", "--until", "99h"], "--until"),
        (["--expect", str(tmp_path / "no-baseline.json")], "--expect"),
        (["--save-baseline", str(tmp_path)], "--save-baseline"),
        (["--tolerance", "lots"], "--tolerance"),
    ]
    for args, message in cases:
        done = cli(str(bot), *args, "--out", str(tmp_path / "run"), cwd=tmp_path, env=clean_env)
        assert done.returncode == 1, (args, done.stderr)
        assert message in done.stderr and "Traceback" not in done.stderr, (args, done.stderr)
        assert done.stderr.count("\n") == 1, done.stderr  # one line
        assert not (tmp_path / "run").exists()  # nothing ran


def test_enforced_rate_rule_in_a_backtest_counts_every_rejection_by_endpoint(tmp_path, clean_env):
    bot = write(tmp_path, "hasty.py", HASTY)
    done = cli(str(bot), "--session", "synthetic", "--until", "5m", "--rate-limit", "enforce", "--position-limit",
               "5", "--out", str(tmp_path / "run"), cwd=tmp_path, env=clean_env)
    assert done.returncode == 0, done.stderr
    codes = (tmp_path / "run" / "bot.stdout").read_text().split()
    summary = run_record(tmp_path / "run")["summary"]
    refused = codes.count("429")
    assert refused > 20
    assert summary["rejections"]["429 rate limit"] == refused  # HTTP 429s are rejections too
    assert summary["rejections_by_endpoint"]["POST /api/order"]["429 rate limit"] == refused
    assert summary["rule_violations_by_endpoint"] == {"POST /api/order": refused}
    assert summary["rejections"].get("400 position limit", 0) == codes.count("400")  # position limit 5
    assert "rate-rule violations" in done.stdout and "429 rate limit" in done.stdout


def test_events_modes_change_the_log_but_not_the_figures(tmp_path, clean_env):
    bot = ROOT / "bots" / "quoter.py"
    summaries = {}
    for mode in ("full", "compact", "none"):
        out = tmp_path / mode
        done = cli(str(bot), "--until", "15m", "--events", mode, "--out", str(out), cwd=tmp_path, env=clean_env)
        assert done.returncode == 0, done.stderr
        summaries[mode] = run_record(out)["summary"]
    full = (tmp_path / "full" / "events.jsonl").read_text().splitlines()
    compact = (tmp_path / "compact" / "events.jsonl").read_text().splitlines()
    assert not (tmp_path / "none" / "events.jsonl").exists() and summaries["none"]["events_sha256"] is None
    assert 0 < len(compact) < len(full)
    assert {json.loads(line)["type"] for line in compact} <= {"Fill", "TapePrint", "OrderRejected", "CancelRejected",
                                                             "Settled"}
    for key in ("pnl", "total_pnl", "fills", "positions", "max_drawdown", "sharpe", "rejections"):
        assert summaries["full"][key] == summaries["compact"][key] == summaries["none"][key], key


def test_the_exchanges_mark_rule_values_positions_before_settlement(tmp_path):
    from cmi_sim import backtest

    bot = ROOT / "bots" / "quoter.py"
    last = backtest(str(bot), until="10m", events="none", out=tmp_path / "last", rules={"mark": "last"})
    mid = backtest(str(bot), until="10m", events="none", out=tmp_path / "mid", rules={"mark": "mid"})
    assert last.ok and mid.ok and last.id != mid.id
    assert last.summary["positions"] == mid.summary["positions"]  # the same trading
    assert last.total_pnl != mid.total_pnl  # valued at another price
    assert mid.equity["equity"].iloc[-1] == pytest.approx(mid.total_pnl)


def test_the_python_api_returns_a_typed_result_with_dataframes(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    from cmi_sim import backtest

    result = backtest(str(ROOT / "bots" / "quoter.py"), until="15m", events="none")
    assert result.ok and result.status == "completed" and result.errors == ()
    assert result.run_dir.parent == tmp_path / "runs" and result.id in result.run_dir.name
    assert result.total_pnl == pytest.approx(sum(result.pnl.values()))
    fills, equity, positions = result.fills, result.equity, result.positions
    assert len(fills) == result.summary["fills"] > 0
    assert {"order_id", "position_after", "cash_after", "time"} <= set(fills.columns)
    assert fills["order_id"].str.len().eq(36).all()  # the wire ids the bot saw
    assert equity["equity"].iloc[-1] == pytest.approx(result.total_pnl)
    assert {f"pnl.{p}" for p in result.pnl} <= set(equity.columns)
    final = positions.iloc[-1]
    assert {p: int(final[p]) for p in result.participant.positions_final} == result.participant.positions_final
    # the same positions the fills say, fill by fill
    last_fill = fills.groupby("product")["position_after"].last().to_dict()
    assert last_fill == {p: v for p, v in result.participant.positions_final.items() if p in last_fill}
    assert result.summary["score"] is None  # alone: nothing to rank against
    from cmi_sim.backtest import RunResult

    again = RunResult.load(result.run_dir)
    assert again.summary == result.summary and again.spec == result.spec
