"""Backtest metrics and summaries: pure functions over hand-written event logs."""

from __future__ import annotations

import json

from cmi_sim.backtest.metrics import account_figures, read_relevant_events, score_of
from cmi_sim.backtest.report import expectation_diff, load_expected_summary


def fill(ts, product, price, volume, taker, maker, taker_side):
    return {"type": "Fill", "seq": ts, "ts": ts, "product": product, "price": price, "volume": volume,
            "taker_order_id": 1, "taker": taker, "maker_order_id": 2, "maker": maker, "taker_side": taker_side,
            "maker_remaining": 0}


def test_fills_positions_volume_and_rejections_are_counted_for_the_user_only():
    events = [
        fill(1, "A", 100, 5, "me", "x", 1),  # I buy 5
        fill(2, "A", 110, 2, "x", "me", 1),  # x buys 2 from me: I sell 2
        fill(3, "B", 50, 7, "x", "y", -1),  # not mine
        {"type": "OrderRejected", "owner": "me", "reason": "position_limit"},
        {"type": "OrderRejected", "owner": "me", "reason": "position_limit"},
        {"type": "OrderRejected", "owner": "x", "reason": "bad_price"},
    ]
    figures = account_figures(events, "me", {"A": 90, "B": 40})
    assert [(f["side"], f["price"], f["volume"], f["counterparty"], f["aggressor"]) for f in figures.fills] == [
        ("BUY", 100.0, 5, "x", True), ("SELL", 110.0, 2, "x", False)]
    assert figures.volume == 7 and figures.max_abs_position == 5
    assert figures.rejections == {"position_limit": 2}


def test_equity_marks_at_the_median_of_recent_trades_so_one_wild_print_does_not_swing_it():
    events = [fill(1, "A", 100, 1, "me", "x", 1)] + [fill(t, "A", 100, 1, "x", "y", 1) for t in range(2, 8)]
    events.append(fill(8, "A", 100_000, 1, "x", "y", 1))  # a fat-finger print
    figures = account_figures(events, "me", {"A": 100})
    assert max(value for _, value in figures.equity) == 0.0
    assert figures.max_drawdown == 0.0


def test_drawdown_is_the_largest_fall_from_a_peak_and_final_pnl_closes_the_curve():
    events = [fill(1, "A", 100, 1, "me", "x", 1)]
    events += [fill(t, "A", price, 1, "x", "y", 1) for t, price in ((2, 130), (3, 130), (4, 130), (5, 90),
                                                                    (6, 90), (7, 90), (8, 90), (9, 90))]
    figures = account_figures(events, "me", {"A": 100}, final={"A": 50.0}, end_ns=100)
    values = [value for _, value in figures.equity]
    assert max(values[:-1]) == 30.0 and min(values) == -10.0
    assert figures.equity[-1] == (100, 50.0)
    assert figures.max_drawdown == 40.0


def test_event_log_is_hashed_whole_and_filtered_to_fills_and_rejections(tmp_path):
    log = tmp_path / "events.jsonl"
    lines = [{"type": "OrderAccepted", "seq": 1}, fill(2, "A", 1, 1, "a", "b", 1), {"type": "OrderRejected",
                                                                                    "owner": "a", "reason": "r"}]
    log.write_text("".join(json.dumps(line, separators=(",", ":")) + "\n" for line in lines))
    events, digest = read_relevant_events(log)
    assert [e["type"] for e in events] == ["Fill", "OrderRejected"]
    import hashlib

    assert digest == hashlib.sha256(log.read_bytes()).hexdigest()


def test_score_of_normalises_within_each_product():
    pnl = {"me": {"TIDE_SPOT": 30.0, "LON_FLY": -5.0}, "you": {"TIDE_SPOT": 10.0, "LON_FLY": -15.0}}
    assert score_of(pnl, "me") == 4 * 30 / 40 + 1 * -5 / 20


def test_expectation_diff_names_each_changed_nested_field():
    expected = {"total_pnl": 10.0, "pnl": {"A": 4.0, "B": 6.0}, "fills": 3}
    actual = {"total_pnl": 11.0, "pnl": {"A": 5.0, "B": 6.0}, "fills": 3, "extra": 1}
    assert expectation_diff(expected, actual) == ["extra: not expected, got 1", "pnl.A: expected 4.0, got 5.0",
                                                  "total_pnl: expected 10.0, got 11.0"]
    assert expectation_diff(expected, dict(expected)) == []


def test_expected_summary_loads_from_a_run_record_or_a_bare_summary(tmp_path):
    (tmp_path / "run.json").write_text(json.dumps({"summary": {"fills": 1}, "timing": {}}))
    (tmp_path / "bare.json").write_text(json.dumps({"fills": 2}))
    assert load_expected_summary(tmp_path / "run.json") == {"fills": 1}
    assert load_expected_summary(tmp_path / "bare.json") == {"fills": 2}
