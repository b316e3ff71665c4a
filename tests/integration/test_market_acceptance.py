"""Issue 13's acceptance check, as a user would run it: backtest a bot that only watches on the default
session, rebuild the books from the run's events.jsonl once a virtual minute, and compare with the
live exchange: LON_ETF within 30 bps of its basket at the median (100 at p90), and spreads of a few ticks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from statistics import median

import pytest

from cmi_sim.calibration import etf_basket_gaps_bps, events_from_jsonl, minute_samples, percentile
from cmi_sim.products import CMI_SYMBOLS
from cmi_sim.sessions import load_session

ROOT = Path(__file__).resolve().parents[2]
MAX_MEDIAN_SPREAD = {"TIDE_SPOT": 6, "LON_ETF": 6, "WX_SPOT": 8, "WX_SUM": 8, "LHR_COUNT": 12}


@pytest.fixture(scope="module")
def samples(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("watch")
    bot = tmp / "watch.py"
    bot.write_text("import time\nwhile True:\n    time.sleep(3600)\n")
    out = tmp / "run"
    done = subprocess.run([sys.executable, "-m", "cmi_sim", "backtest", str(bot), "--out", str(out), "--no-progress"],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    assert json.loads((out / "run.json").read_text())["summary"]["status"] == "completed"
    session = load_session()
    return minute_samples(events_from_jsonl(out / "events.jsonl"), list(CMI_SYMBOLS), session.open_ns, session.close_ns)


@pytest.mark.slow
def test_lon_etf_stays_on_its_basket(samples):
    gaps = etf_basket_gaps_bps(samples)
    assert len(gaps) > 0.9 * len(samples)
    assert median(gaps) <= 30, median(gaps)
    assert percentile(gaps, 90) <= 100, percentile(gaps, 90)


@pytest.mark.slow
@pytest.mark.parametrize("product", sorted(MAX_MEDIAN_SPREAD))
def test_spreads_are_as_tight_as_live(samples, product):
    spreads = [ask - bid for bid, ask in (s.best[product] for s in samples) if bid is not None and ask is not None]
    assert len(spreads) > 0.9 * len(samples)
    assert median(spreads) <= MAX_MEDIAN_SPREAD[product], (product, median(spreads))
