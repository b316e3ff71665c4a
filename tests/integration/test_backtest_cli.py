"""`cmi-sim backtest` end to end, as a user runs it: real bot files, a child process, the run directory."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest

BOTS = Path(__file__).resolve().parent / "backtest_bots"
OPEN = datetime.fromisoformat("2026-02-28T14:30:00+00:00")  # the London session's trading open


def backtest(*args: str, out: Path, env: dict[str, str]) -> tuple[subprocess.CompletedProcess, dict]:
    done = subprocess.run([sys.executable, "-m", "cmi_sim", "backtest", *args, "--out", str(out)],
                          capture_output=True, text=True, timeout=300, env=env)
    run = json.loads((out / "run.json").read_text()) if (out / "run.json").exists() else {}
    return done, run


def bot_log(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "bot.stdout").read_text().splitlines() if line.startswith("{")]


def test_walkthrough_shaped_bot_behaves_as_it_would_live(tmp_path, clean_env):
    done, run = backtest(str(BOTS / "walkthrough.py"), "--until", "30m", out=tmp_path, env=clean_env)
    assert done.returncode == 0, done.stderr
    log = bot_log(tmp_path)
    start = log[0]
    assert start["event"] == "start"
    # The virtual clock starts at the session's opening time and datetime.now(timezone.utc) follows it
    # (the login before the first log line took one request's default virtual round trip, 20 ms).
    assert (datetime.fromisoformat(start["utc"]) - OPEN).total_seconds() == pytest.approx(0.020)
    slept = [entry["seconds"] for entry in log if entry["event"] == "slept"]
    assert slept and all(seconds == pytest.approx(5.0, abs=0.01) for seconds in slept)
    iocs = [entry for entry in log if entry["event"] == "ioc"]
    assert iocs, "the SSE callbacks never delivered a TIDE_SPOT book"
    assert all(entry["open_orders"] == 0 for entry in iocs)  # place-and-cancel leaves nothing resting
    assert sum(entry["filled"] for entry in iocs) > 0
    positions = [entry["positions"] for entry in log if entry["event"] == "position"]
    assert positions[-1].get("TIDE_SPOT", 0) == sum(entry["filled"] for entry in iocs)
    # The end of the session is a Ctrl-C: the bot stops its threads as it would on a terminal.
    assert log[-1]["event"] in ("interrupted", "heartbeat_done")
    assert any(entry["event"] == "interrupted" for entry in log)
    heartbeat = [entry for entry in log if entry["event"] == "heartbeat_done"]
    assert heartbeat and heartbeat[0]["beats"] == 29  # Event.wait(60) timed out once a virtual minute
    last = datetime.fromisoformat(log[-1]["utc"])
    assert (last - OPEN).total_seconds() == pytest.approx(1800, abs=15)
    summary = run["summary"]
    assert summary["status"] == "completed" and summary["errors"] == [] and summary["user"] == "walkthrough"
    assert summary["fills"] == sum(entry["filled"] for entry in iocs)
    fills = pd.read_parquet(tmp_path / "fills.parquet")
    assert len(fills) == summary["fills"] and set(fills["side"]) == {"BUY"}
    assert (tmp_path / "equity.png").stat().st_size > 1000


def test_two_runs_give_identical_event_logs_and_expect_passes(tmp_path, clean_env):
    first, run = backtest(str(BOTS / "walkthrough.py"), "--until", "20m", out=tmp_path / "a", env=clean_env)
    assert first.returncode == 0, first.stderr
    second, _ = backtest(str(BOTS / "walkthrough.py"), "--until", "20m", "--expect",
                         str(tmp_path / "a" / "run.json"), out=tmp_path / "b", env=clean_env)
    assert second.returncode == 0, second.stderr
    assert "matches" in second.stdout
    assert (tmp_path / "a" / "events.jsonl").read_bytes() == (tmp_path / "b" / "events.jsonl").read_bytes()


def test_expect_with_a_different_summary_fails_with_a_readable_diff(tmp_path, clean_env):
    done, run = backtest(str(BOTS / "walkthrough.py"), "--until", "10m", out=tmp_path / "a", env=clean_env)
    expected = dict(run["summary"], total_pnl=run["summary"]["total_pnl"] + 1.0, fills=run["summary"]["fills"] + 2)
    stored = tmp_path / "expected.json"
    stored.write_text(json.dumps(expected))
    done, _ = backtest(str(BOTS / "walkthrough.py"), "--until", "10m", "--expect", str(stored),
                       out=tmp_path / "b", env=clean_env)
    assert done.returncode == 4
    lines = [line.strip() for line in done.stderr.splitlines()]
    assert lines[1].startswith("DIFF total_pnl: expected") and "(delta -1)" in lines[1]  # PnL leads
    assert any(line.startswith("DIFF fills: expected") and "(delta -2)" in line for line in lines)
    # a tolerance lets both through
    done, _ = backtest(str(BOTS / "walkthrough.py"), "--until", "10m", "--expect", str(stored),
                       "--tolerance", "total_pnl=1,fills=2", out=tmp_path / "b", env=clean_env)
    assert done.returncode == 0, done.stderr


def test_save_baseline_then_expect_it_and_a_run_directory_and_name_differing_settings(tmp_path, clean_env):
    baseline = tmp_path / "ci" / "walkthrough.json"
    done, run = backtest(str(BOTS / "walkthrough.py"), "--until", "10m", "--save-baseline", str(baseline),
                         out=tmp_path / "a", env=clean_env)
    assert done.returncode == 0, done.stderr
    assert json.loads(baseline.read_text())["summary"] == run["summary"]
    for reference in (baseline, tmp_path / "a"):  # a baseline file, or a run directory
        done, _ = backtest(str(BOTS / "walkthrough.py"), "--until", "10m", "--expect", str(reference),
                           out=tmp_path / "b", env=clean_env)
        assert done.returncode == 0 and "matches" in done.stdout, done.stderr
    done, _ = backtest(str(BOTS / "walkthrough.py"), "--until", "10m", "--latency-ms", "3", "--expect",
                       str(baseline), "--expect-metrics", "total_pnl,pnl", out=tmp_path / "c", env=clean_env)
    assert "settings differ from the baseline's run" in done.stdout + done.stderr
    assert "latency_ms: 20.0 -> 3.0" in done.stdout + done.stderr


def test_unknown_host_is_refused_and_reported(tmp_path, clean_env):
    done, run = backtest(str(BOTS / "unknown_host.py"), "--until", "5m", out=tmp_path, env=clean_env)
    assert done.returncode == 0, done.stderr
    assert "refused: network is disabled" in (tmp_path / "bot.stdout").read_text()
    assert run["summary"]["refused_requests"] == 1
    assert run["run"]["refused"][0]["url"].startswith("https://api.example.com/prices")


def test_bot_that_raises_is_reported_with_its_traceback(tmp_path, clean_env):
    done, run = backtest(str(BOTS / "raises.py"), "--until", "10m", out=tmp_path, env=clean_env)
    assert done.returncode == 3
    assert "ValueError: the strategy has a bug" in done.stderr
    assert "raises.py" in done.stderr and "line 6" in done.stderr
    assert run["summary"]["status"] == "failed"
    assert [e["kind"] for e in run["summary"]["errors"]] == ["bot_raised"]
    assert run["summary"]["virtual_end"].startswith("2026-02-28T14:40")  # the session still ran to its end


def test_busy_waiting_bot_still_advances(tmp_path, clean_env):
    done, run = backtest(str(BOTS / "busy_wait.py"), "--until", "10m", out=tmp_path, env=clean_env)
    assert done.returncode == 0, done.stderr
    waits = [float(line.split()[1]) for line in (tmp_path / "bot.stdout").read_text().splitlines()]
    assert len(waits) == 3 and all(5.0 <= wait < 5.01 for wait in waits)


def test_bot_waiting_on_a_real_socket_fails_loudly_instead_of_hanging(tmp_path, clean_env):
    done, run = backtest(str(BOTS / "real_socket.py"), "--until", "10m", out=tmp_path, env=clean_env)
    assert done.returncode == 3
    assert "real" in done.stderr.lower() and "real_socket.py" in done.stderr
    assert run["summary"]["status"] == "failed"


def test_spinning_bot_is_reported_by_the_watchdog(tmp_path, clean_env):
    done, run = backtest(str(BOTS / "spinner.py"), "--until", "10m", "--watchdog", "2", out=tmp_path, env=clean_env)
    assert done.returncode == 3
    assert "stopped making progress" in done.stderr
    assert "spinner.py" in done.stderr
    assert run["summary"]["status"] == "failed"
    assert run["summary"]["errors"][0]["kind"] == "watchdog"


def test_entry_runs_a_class_only_bot_with_the_simulators_credentials(tmp_path, clean_env):
    done, run = backtest(str(BOTS / "class_only.py"), "--until", "10m",
                         "--entry", "TinyQuoter.run_loop(price=2000, volume=2, interval=30)", out=tmp_path,
                         env=clean_env)
    assert done.returncode == 0, done.stderr
    assert run["summary"]["user"] == "backtest-bot"
    assert run["summary"]["requests"] > 10


def test_bad_options_are_one_line_errors(tmp_path, clean_env):
    for args, message in [(["missing_bot.py"], "no bot file"),
                          ([str(BOTS / "raises.py"), "--session", "atlantis"], "atlantis"),
                          ([str(BOTS / "raises.py"), "--until", "yesterday"], "--until"),
                          ([str(BOTS / "raises.py"), "--entry", "not a call"], "--entry")]:
        done = subprocess.run([sys.executable, "-m", "cmi_sim", "backtest", *args, "--out", str(tmp_path / "x")],
                              capture_output=True, text=True, timeout=60, env=clean_env)
        assert done.returncode == 1, args
        assert message in done.stderr and "Traceback" not in done.stderr


LEGACY_BOT = '''
import json, time, requests, sseclient
print("module", sseclient.__file__, flush=True)
URL = "http://ec2-52-19-74-159.eu-west-1.compute.amazonaws.com"
token = requests.post(URL + "/api/user/authenticate", json={"username": "legacy", "password": "pw"}).headers["Authorization"]
client = sseclient.SSEClient(URL + "/api/market/stream", headers={"Authorization": token})
seen = 0
for message in client:
    if message.event == "order":
        print("order", json.loads(message.data)["productsymbol"], flush=True)
        seen += 1
    if seen == 40:
        break
while True:
    time.sleep(60)
'''


def test_legacy_sseclient_0_0_27_reads_the_simulated_stream(tmp_path, clean_env):
    import tarfile

    vendor = Path(__file__).resolve().parents[1] / "vendor" / "sseclient-0.0.27.tar.gz"
    with tarfile.open(vendor) as archive:
        member = archive.getmember("sseclient-0.0.27/sseclient.py")
        (tmp_path / "sseclient.py").write_bytes(archive.extractfile(member).read())
    (tmp_path / "legacy_bot.py").write_text(LEGACY_BOT)
    done, run = backtest(str(tmp_path / "legacy_bot.py"), "--until", "10m", out=tmp_path / "run", env=clean_env)
    assert done.returncode == 0, done.stderr
    lines = (tmp_path / "run" / "bot.stdout").read_text().splitlines()
    # the legacy library, from (the scratch copy of) the bot's folder
    assert lines[0] == f"module {tmp_path / 'run' / 'scratch' / tmp_path.name / 'sseclient.py'}"
    products = [line.split()[1] for line in lines[1:]]
    assert len(products) == 40
    assert products[:8] == ["TIDE_SPOT", "TIDE_SWING", "WX_SPOT", "WX_SUM", "LHR_COUNT", "LHR_INDEX", "LON_ETF",
                            "LON_FLY"]  # the snapshot on connect


HASTY_BOT = '''
import time, requests
URL = "http://exchange.example.invalid"
token = requests.post(URL + "/api/user/authenticate", json={"username": "hasty", "password": "pw"}).headers["Authorization"]
statuses = []
for _ in range(40):
    statuses.append(requests.get(URL + "/api/product", headers={"Authorization": token}).status_code)
    time.sleep(0.25)  # four requests a second: three too many under the real rule
print(" ".join(map(str, statuses)), flush=True)
while True:
    time.sleep(60)
'''


def _session_with_rate_limit(tmp_path: Path, mode: str) -> Path:
    from cmi_sim.sessions.session import _builtin_dirs

    source = _builtin_dirs()["synthetic"] / "session.toml"
    manifest = source.read_text()
    assert manifest.rstrip().endswith("[rules]")  # the synthetic session keeps the default rules
    manifest = manifest.rstrip() + f'\nrate_limit = "{mode}"\n'
    directory = tmp_path / f"rate-{mode}"
    directory.mkdir()
    (directory / "session.toml").write_text(manifest.replace('name = "synthetic"', f'name = "rate-{mode}"'))
    return directory


@pytest.mark.parametrize("mode", ["report", "enforce"])
def test_one_request_per_second_rule_is_counted_in_virtual_time(tmp_path, clean_env, mode):
    (tmp_path / "hasty.py").write_text(HASTY_BOT)
    session = _session_with_rate_limit(tmp_path, mode)
    done, run = backtest(str(tmp_path / "hasty.py"), "--session", str(session), "--until", "5m",
                         out=tmp_path / "run", env=clean_env)
    assert done.returncode == 0, done.stderr
    statuses = (tmp_path / "run" / "bot.stdout").read_text().split()
    # 40 authenticated requests in about 10 virtual seconds (the login is not counted): about 3 of every
    # 4 break the rule.
    assert 25 <= run["summary"]["rate_violations"] <= 33
    assert run["summary"]["requests"] == 40
    if mode == "report":
        assert set(statuses) == {"200"}
    else:
        assert statuses.count("429") == run["summary"]["rate_violations"]  # every breach refused
        assert statuses.count("200") == 40 - statuses.count("429")


QUIET_STREAM_BOT = '''
import time
import requests

URL = "http://cmi.example/api"
token = requests.post(URL + "/user/authenticate", json={"username": "quiet", "password": "pw"}).headers["Authorization"]
headers = {"Authorization": token, "Accept": "text/event-stream; charset=utf-8"}
start = time.time()
pings = []
with requests.get(URL + "/market/stream", headers=headers, stream=True, timeout=30) as response:
    for chunk in response.iter_content(chunk_size=None):
        if chunk.startswith(b": ping"):
            pings.append(round(time.time() - start, 3))
            if len(pings) == 3:
                break
print("pings", *pings, flush=True)
opened = time.time()
try:
    with requests.get(URL + "/market/stream", headers=headers, stream=True, timeout=4) as response:
        for chunk in response.iter_content(chunk_size=None):
            pass
except requests.ConnectionError:
    print("timed_out_after", round(time.time() - opened, 3), flush=True)
while True:
    time.sleep(60)
'''


def test_quiet_stream_gets_keepalives_every_10_s_and_honours_the_read_timeout(tmp_path, clean_env):
    """With no market, nothing changes: the stream sends a `: ping` every 10 virtual seconds, and a read
    timeout shorter than that ends the read as a real server would."""
    from cmi_sim.sessions.session import _builtin_dirs

    manifest = (_builtin_dirs()["synthetic"] / "session.toml").read_text()
    market = manifest[manifest.index("[market]"):manifest.index("[rules]")]
    session = tmp_path / "quiet"
    session.mkdir()
    (session / "session.toml").write_text(manifest.replace(market, '[market]\nkind = "none"\n\n')
                                          .replace('name = "synthetic"', 'name = "quiet"'))
    (tmp_path / "quiet_bot.py").write_text(QUIET_STREAM_BOT)
    done, run = backtest(str(tmp_path / "quiet_bot.py"), "--session", str(session), "--until", "5m",
                         out=tmp_path / "run", env=clean_env)
    assert done.returncode == 0, done.stderr
    lines = (tmp_path / "run" / "bot.stdout").read_text().splitlines()
    # the stream opened 20 ms (one request's default round trip) after `start`; pings follow every 10 s
    assert lines[0] == "pings 10.02 20.02 30.02"
    assert lines[1] == "timed_out_after 4.02"
