"""report.html from a run directory: the data it inlines, robust to extra keys and missing files."""

from __future__ import annotations

import json
import re

import pytest

from cmi_sim.backtest.html_report import ReportError, decimate, report_data, write_html_report
from cmi_sim.sandbox.log_times import line_time_ms
from cmi_sim.products import CMI_SYMBOLS

T0 = 1772289000000000000  # 2026-02-28T14:30Z in ns


def fill(seq, ts, product, price, volume, taker, maker, taker_side, **extra) -> str:
    record = {"type": "Fill", "seq": seq, "ts": ts, "product": product, "price": price, "volume": volume,
              "taker_order_id": seq, "taker": taker, "maker_order_id": seq + 1000, "maker": maker,
              "taker_side": taker_side, "maker_remaining": 0, **extra}
    return json.dumps(record, separators=(",", ":"))


def make_run(tmp_path, events=True, run=True):
    if events:
        lines = [
            '{"type":"OrderAccepted","seq":1,"ts":%d,"order_id":1,"owner":"mm","product":"TIDE_SPOT","side":1,'
            '"price":100,"volume":5}' % T0,
            fill(2, T0 + 60 * 10**9, "TIDE_SPOT", 100, 2, "bot", "mm", -1),            # bot sells 2 @ 100
            fill(3, T0 + 120 * 10**9, "TIDE_SPOT", 90, 1, "other", "mm", 1, venue="x"),  # an extra key
            fill(4, T0 + 180 * 10**9, "WX_SPOT", 50, 3, "bot", "mm", 1),               # bot buys 3 @ 50
            '{"type":"SomethingNew","seq":5,"ts":%d}' % (T0 + 200 * 10**9),             # an unknown kind
            '{"type":"Settled","seq":6,"ts":%d,"prices":[["TIDE_SPOT",95.0],["WX_SPOT",55.0]]}' % (T0 + 300 * 10**9),
        ]
        (tmp_path / "events.jsonl").write_text("\n".join(lines) + "\n")
    if run:
        record = {
            "settings": {"bot": "bots/bot.py", "session": "london-2026-02-28", "seed": 3, "new_setting": [1]},
            "summary": {"user": "bot", "session": "london-2026-02-28", "status": "ok", "settled": True,
                        "total_pnl": 25.0, "pnl": {"TIDE_SPOT": 10.0, "WX_SPOT": 15.0}, "score": 1.5,
                        "settlement": {"TIDE_SPOT": 95.0, "WX_SPOT": 55.0}, "some_new_figure": {"a": 1}},
            "run": {"virtual_start": "2026-02-28T14:30:00.000000000Z", "virtual_end": "2026-03-01T14:30:00.000000000Z"},
            "leaderboard": [{"participant": "bot", "score": 1.5, "pnl": 25.0}],
            "outcome": {"anything": "else"},
        }
        (tmp_path / "run.json").write_text(json.dumps(record))
    (tmp_path / "bot.stdout").write_text("2026-02-28 14:31:00,000 INFO started\nno time here </script><b>\n")
    return tmp_path


def inlined(path) -> dict:
    page = path.read_text()
    match = re.search(r'<script id="report-data" type="application/json">(.*?)</script>', page, re.S)
    return json.loads(match.group(1))


def test_report_inlines_fills_positions_equity_and_keeps_unknown_keys(tmp_path):
    path = write_html_report(make_run(tmp_path))
    assert path == tmp_path / "report.html"
    page = path.read_text()
    assert "http://" not in page and "https://" not in page  # nothing to fetch: opens offline
    data = inlined(path)
    assert data["products"] == list(CMI_SYMBOLS)
    events = data["events"]
    assert events["tradeCounts"] == {"TIDE_SPOT": 2, "WX_SPOT": 1}
    assert [f[:3] for f in events["fills"]["TIDE_SPOT"]] == [[T0 / 1e6 + 60e3, 100.0, False]]
    assert events["positions"] == {"TIDE_SPOT": [[T0 / 1e6 + 60e3, -2]], "WX_SPOT": [[T0 / 1e6 + 180e3, 3]]}
    # Marked at the median of the last trades: after the 90 print, TIDE_SPOT marks at 90 -> 200 - 180 = 20.
    assert events["pnl"]["TIDE_SPOT"][-1] == [T0 / 1e6 + 120e3, 20.0]
    assert events["equity"][-1] == [T0 / 1e6 + 180e3, 20.0]
    assert data["settlement"] == {"TIDE_SPOT": 95.0, "WX_SPOT": 55.0}
    assert data["leaderboard"] == [{"participant": "bot", "score": 1.5, "pnl": 25.0}]
    assert data["summary"]["some_new_figure"] == {"a": 1}
    log = data["log"]["bot.stdout"]["lines"]
    assert log[0] == [T0 / 1e6 + 60e3, "2026-02-28 14:31:00,000 INFO started"]
    assert log[1] == [None, "no time here </script><b>"]
    assert page.count("</script>") == 3  # the data, the charts and the script: the log's text did not close one


def test_report_without_events_says_what_is_missing(tmp_path):
    data = report_data(make_run(tmp_path, events=False))
    assert data["missing"] == ["events.jsonl"] and data["events"] is None
    assert data["products"] == list(CMI_SYMBOLS)
    write_html_report(tmp_path)
    assert (tmp_path / "report.html").exists()


def test_report_without_run_json_still_draws_the_events(tmp_path):
    data = report_data(make_run(tmp_path, run=False))
    assert data["missing"] == ["run.json"] and data["events"]["tradeCounts"]["WX_SPOT"] == 1
    assert data["settlement"] == {"TIDE_SPOT": 95.0, "WX_SPOT": 55.0}  # from the Settled event


def test_a_directory_that_is_no_run_is_refused(tmp_path):
    with pytest.raises(ReportError, match="not a run directory"):
        write_html_report(tmp_path)
    with pytest.raises(ReportError, match="no run directory"):
        write_html_report(tmp_path / "absent")


def test_decimate_keeps_the_shape_within_the_limit():
    points = [[float(t), float((t * 7919) % 1000)] for t in range(100_000)]
    kept = decimate(points, limit=400)
    assert len(kept) <= 400
    assert kept[0] == points[0] and kept[-1] == points[-1]
    assert min(p[1] for p in kept) == 0.0 and max(p[1] for p in kept) == 999.0
    assert [p[0] for p in kept] == sorted(p[0] for p in kept)
    assert decimate(points[:10], limit=400) == points[:10]


@pytest.mark.parametrize(("line", "expected"), [
    ("2026-02-28T14:31:02.5Z placed", "2026-02-28T14:31:02.500"),
    ("2026-02-28 14:31:02,250 INFO bot: placed", "2026-02-28T14:31:02.250"),
    ('{"event": "start", "utc": "2026-02-28T15:00:00.001000+00:00"}', "2026-02-28T15:00:00.001"),
    ("[14:31:02] quoting", "2026-02-28T14:31:02.000"),
])
def test_times_written_in_log_lines_are_read(line, expected):
    from datetime import datetime, timezone

    want = datetime.fromisoformat(expected).replace(tzinfo=timezone.utc).timestamp() * 1000
    assert line_time_ms(line, "2026-02-28") == pytest.approx(want)


def test_lines_without_a_time_have_none():
    assert line_time_ms("filled: BUY 4x WX_SPOT @ 4413.0", "2026-02-28") is None
    assert line_time_ms("[14:31:02] quoting", None) is None
    assert line_time_ms("99:99:99 nonsense", "2026-02-28") is None


def test_values_json_cannot_hold_become_null(tmp_path):
    make_run(tmp_path)
    record = json.loads((tmp_path / "run.json").read_text())
    record["summary"]["sharpe"] = float("nan")
    record["summary"]["profit_factor"] = float("inf")
    (tmp_path / "run.json").write_text(json.dumps(record))  # Python writes NaN and Infinity
    data = inlined(write_html_report(tmp_path))
    assert data["summary"]["sharpe"] is None and data["summary"]["profit_factor"] is None
    assert data["summary"]["total_pnl"] == 25.0


def test_a_product_with_very_many_fills_marks_every_kth(tmp_path, monkeypatch):
    import cmi_sim.backtest.html_report as html_report

    monkeypatch.setattr(html_report, "MAX_FILL_MARKS", 2)
    data = report_data(make_run(tmp_path))
    assert data["events"]["fillCounts"] == {"TIDE_SPOT": 1, "WX_SPOT": 1}
    lines = [fill(10 + i, T0 + i * 10**9, "LON_FLY", 100, 1, "bot", "mm", 1) for i in range(5)]
    (tmp_path / "events.jsonl").write_text("\n".join(lines) + "\n")
    data = report_data(tmp_path)
    assert data["events"]["fillCounts"] == {"LON_FLY": 5}
    assert [mark[0] for mark in data["events"]["fills"]["LON_FLY"]] == [T0 / 1e6, T0 / 1e6 + 3e3]


def test_leaderboard_rows_come_from_the_participants_and_the_markets_accounts(tmp_path):
    make_run(tmp_path)
    record = json.loads((tmp_path / "run.json").read_text())
    del record["leaderboard"]
    record["spec"] = {"participants": [{"script": "/x/bots/quoter.py"}], "session": {"name": "london-2026-02-28"}}
    record["participants"] = [{"account": "bot", "total_pnl": 25.0, "score": None, "extra": 1}]
    (tmp_path / "run.json").write_text(json.dumps(record))
    (tmp_path / "result.json").write_text(json.dumps({"world": {"market_accounts": ["mm"], "pnl": {
        "bot": {"TIDE_SPOT": 25.0}, "mm": {"TIDE_SPOT": -20.0, "WX_SPOT": -5.0}}}}))
    data = report_data(tmp_path)
    assert data["accounts"] == [{"account": "bot", "pnl": 25.0, "score": None, "market": False},
                                {"account": "mm", "pnl": -25.0, "score": None, "market": True}]
    assert data["title"] == "quoter.py on london-2026-02-28"  # the spec names the bot


def test_without_events_the_bots_record_comes_from_the_parquet_tables(tmp_path):
    import pandas as pd

    make_run(tmp_path, events=False)
    t = [T0 + 60 * 10**9, T0 + 120 * 10**9]
    pd.DataFrame({"ts": t, "order_id": ["a", "b"], "product": ["TIDE_SPOT", "TIDE_SPOT"], "side": ["SELL", "BUY"],
                  "price": [100.0, 90.0], "volume": [2, 1], "counterparty": ["mm", "mm"], "aggressor": [True, False],
                  "account": ["bot", "bot"], "new_column": [1, 2]}).to_parquet(tmp_path / "fills.parquet")
    pd.DataFrame({"ts": t, "equity": [0.0, 20.0], "cash": [200.0, 110.0], "pnl.TIDE_SPOT": [0.0, 20.0],
                  "pnl.WX_SPOT": [0.0, 0.0], "account": ["bot", "bot"]}).to_parquet(tmp_path / "equity.parquet")
    pd.DataFrame({"ts": t, "cash": [200.0, 110.0], "TIDE_SPOT": [-2, -1], "WX_SPOT": [0, 0],
                  "account": ["bot", "bot"]}).to_parquet(tmp_path / "positions.parquet")
    data = report_data(tmp_path)
    events = data["events"]
    assert data["missing"] == ["events.jsonl"] and events["source"] == "tables"
    assert [f[:3] for f in events["fills"]["TIDE_SPOT"]] == [[T0 / 1e6 + 60e3, 100.0, False],
                                                             [T0 / 1e6 + 120e3, 90.0, True]]
    assert events["positions"] == {"TIDE_SPOT": [[T0 / 1e6 + 60e3, -2], [T0 / 1e6 + 120e3, -1]]}
    assert events["pnl"] == {"TIDE_SPOT": [[T0 / 1e6 + 60e3, 0.0], [T0 / 1e6 + 120e3, 20.0]]}
    assert events["equity"][-1] == [T0 / 1e6 + 120e3, 20.0] and events["trades"] == {}
