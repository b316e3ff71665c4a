"""A compact event log (a sweep's runs) keeps exactly the lines the summary reads, byte for byte."""

from __future__ import annotations

from pathlib import Path

from cmi_sim.backtest.exchange_world import CompactSink
from cmi_sim.backtest.metrics import read_relevant_events
from cmi_sim.engine import Fill, OrderAccepted, OrderCancelled
from cmi_sim.exchange import JsonlSink


def test_compact_log_holds_the_relevant_lines_of_the_full_one(tmp_path: Path) -> None:
    events = [OrderAccepted(1, 10, 1, "a", "TIDE_SPOT", 1, 100, 5),
              Fill(2, 11, "TIDE_SPOT", 100, 2, 2, "b", 1, "a", -1, 3),
              OrderCancelled(3, 12, 1, "a", "TIDE_SPOT", 1, 100, 3, "user")]
    full, compact = JsonlSink(tmp_path / "full.jsonl"), CompactSink(JsonlSink(tmp_path / "compact.jsonl"))
    for sink in (full, compact):
        sink.write(events[:2])
        sink.write(events[2:])
        sink.close()
    assert compact.count == full.count == 3
    lines = (tmp_path / "compact.jsonl").read_text().splitlines()
    assert len(lines) == 1 and lines[0] in (tmp_path / "full.jsonl").read_text().splitlines()
    assert read_relevant_events(tmp_path / "full.jsonl")[0] == read_relevant_events(tmp_path / "compact.jsonl")[0]
