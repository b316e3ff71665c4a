"""The position limit in a backtest of a bot that keeps buying: as the real exchange held it, the position
never passes 100 (resting bids count against the limit), and a sell that reduces it is accepted."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd

BOTS = Path(__file__).resolve().parent / "backtest_bots"


def test_a_bot_that_keeps_buying_never_passes_the_limit_and_may_sell(tmp_path, clean_env):
    done = subprocess.run([sys.executable, "-m", "cmi_sim", "backtest", str(BOTS / "keeps_buying.py"),
                           "--until", "90m", "--out", str(tmp_path), "--no-progress"],
                          capture_output=True, text=True, timeout=300, env=clean_env)
    assert done.returncode == 0, done.stderr
    log = [json.loads(line) for line in (tmp_path / "bot.stdout").read_text().splitlines()]
    positions = [entry["position"] for entry in log if entry["event"] == "position"]
    assert max(positions) == 100 and all(abs(p) <= 100 for p in positions)
    refused = [entry["body"]["message"] for entry in log if entry["event"] == "order" and entry["status_code"] == 400]
    assert refused and all(message.startswith("position limit: BUY") for message in refused)
    # The limit refused a resting bid because of other resting bids, not only because of the position.
    assert any("resting BUY orders" in message for message in refused)
    reduce = next(entry for entry in log if entry.get("kind") == "reduce")
    assert reduce["status_code"] == 200 and reduce["body"]["filled"] == 10
    assert positions[-1] == 90
    # Every fill the exchange recorded kept the account within the limit.
    fills = pd.read_parquet(tmp_path / "fills.parquet")
    signed = fills["volume"].where(fills["side"] == "BUY", -fills["volume"])
    assert signed.cumsum().abs().max() == 100
    run = json.loads((tmp_path / "run.json").read_text())
    assert run["summary"]["max_abs_position"] == 100
