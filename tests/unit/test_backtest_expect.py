"""`--expect`: chosen metrics, tolerances, PnL first with deltas, differing settings, baselines from a
saved file, a run.json or a run directory."""

from __future__ import annotations

import json

import pytest

from cmi_sim.backtest.expect import (
    Baseline,
    BaselineError,
    Tolerance,
    compare,
    load_baseline,
    parse_metrics,
    parse_tolerances,
    save_baseline,
)

SUMMARY = {"status": "completed", "total_pnl": 100.0, "pnl": {"A": 60.0, "B": 40.0}, "score": None, "fills": 10,
           "volume": 50}


def test_pnl_leads_the_report_with_deltas_and_tolerances_decide():
    actual = dict(SUMMARY, total_pnl=100.5, pnl={"A": 60.5, "B": 40.0}, fills=11)
    exact = compare(Baseline(SUMMARY, None, "b"), actual, ("fills", "total_pnl", "pnl"))
    assert exact.failures == 3
    assert exact.lines[0] == "DIFF total_pnl: expected 100, got 100.5 (delta +0.5)"
    assert exact.lines[1].startswith("DIFF pnl.A") and exact.lines[2].startswith("ok   pnl.B")
    assert exact.lines[-1] == "DIFF fills: expected 10, got 11 (delta +1)"
    loose = compare(Baseline(SUMMARY, None, "b"), actual, ("fills", "total_pnl", "pnl"), parse_tolerances("1%,fills=1"))
    assert loose.ok


def test_only_the_chosen_metrics_are_compared():
    actual = dict(SUMMARY, volume=999)
    assert compare(Baseline(SUMMARY, None, "b"), actual, ("total_pnl",)).ok
    assert not compare(Baseline(SUMMARY, None, "b"), actual, parse_metrics("all", list(SUMMARY))).ok
    with pytest.raises(ValueError, match="unknown metric"):
        parse_metrics("total_pnl,pnk", list(SUMMARY))


def test_tolerances_parse_absolute_relative_and_refuse_nonsense():
    assert Tolerance.parse("0.5").allows(10, 10.5) and not Tolerance.parse("0.5").allows(10, 10.6)
    assert Tolerance.parse("1%").allows(200, 202) and not Tolerance.parse("1%").allows(200, 202.1)
    for bad in ("-1", "abc", "%"):
        with pytest.raises(ValueError):
            Tolerance.parse(bad)


def test_baselines_load_from_a_saved_file_a_run_json_a_run_directory_or_a_bare_summary(tmp_path):
    save_baseline(tmp_path / "ci" / "base.json", {"run_id": "r", "spec": {"x": 1}, "summary": SUMMARY})
    assert load_baseline(tmp_path / "ci" / "base.json").summary == SUMMARY
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "run.json").write_text(json.dumps({"summary": SUMMARY, "spec": {"x": 1}}))
    assert load_baseline(tmp_path / "run").spec == {"x": 1}
    (tmp_path / "bare.json").write_text(json.dumps(SUMMARY))
    assert load_baseline(tmp_path / "bare.json").spec is None
    with pytest.raises(BaselineError):
        load_baseline(tmp_path / "missing.json")


def test_a_baseline_without_settings_still_says_when_the_run_differs():
    class Spec:
        id = "bbbb"

    baseline = Baseline(dict(SUMMARY, run_id="aaaa"), None, "b")
    assert compare(baseline, SUMMARY, ("total_pnl",), spec=Spec()).settings == (
        "run id aaaa -> bbbb (the baseline kept no settings to compare)",)
    assert compare(Baseline(dict(SUMMARY, run_id="bbbb"), None, "b"), SUMMARY, ("total_pnl",), spec=Spec()).settings == ()
