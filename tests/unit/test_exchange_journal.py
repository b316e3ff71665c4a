"""Event sinks: the exchange writes each command's events to its sink and keeps none itself."""

from __future__ import annotations

import pytest

from cmi_sim.engine import EVENT_TYPES, Event, Settled, TapePrint
from cmi_sim.exchange import EventList, Exchange, JsonlSink, NullSink, RecentEvents
from cmi_sim.exchange.event_lines import EventLineEncoder, decode_event
from cmi_sim.products import Product

P = "P"


def _exchange(journal=None) -> Exchange:
    return Exchange([Product(P, 1, 100, 1)], journal=journal)


def _activity(ex: Exchange) -> None:
    ex.place(1, "alice", P, 1, 100, 5)
    ex.place(2, "bob", P, -1, 100, 3)  # a fill
    ex.place(3, "bob", P, -1, 0, 3)  # rejected: bad price
    ex.cancel(4, "alice", 1)
    ex.cancel(5, "alice", 999)  # rejected cancel
    ex.print_trade(6, P, "x", "y", 2, 101)
    ex.settle(7, {P: 100.0})


def test_the_default_sink_keeps_every_event_and_log_reads_it():
    ex = _exchange()
    _activity(ex)
    assert isinstance(ex.journal, EventList)
    assert ex.log is ex.journal.events
    assert [e.seq for e in ex.log] == list(range(1, len(ex.log) + 1))
    assert type(ex.log[-1]) is Settled and any(type(e) is TapePrint for e in ex.log)


def test_settled_and_tape_prints_belong_to_the_event_union():
    assert set(EVENT_TYPES.values()) == set(Event.__args__)
    assert {"Settled", "TapePrint"} <= set(EVENT_TYPES)


def test_a_jsonl_sink_streams_the_same_lines_as_encoding_the_kept_log(tmp_path):
    kept = _exchange()
    _activity(kept)
    path = tmp_path / "events.jsonl"
    streamed = _exchange(JsonlSink(path))
    _activity(streamed)
    streamed.journal.flush()
    assert path.read_text() == "".join(EventLineEncoder().lines(kept.log))
    assert streamed.journal.count == len(kept.log)
    streamed.journal.close()
    assert [decode_event(line) for line in path.read_text().splitlines()] == kept.log
    with pytest.raises(AttributeError, match="keeps no events in memory"):
        streamed.log  # noqa: B018


def test_a_jsonl_sink_writes_as_it_goes_not_at_the_end(tmp_path):
    path = tmp_path / "events.jsonl"
    sink = JsonlSink(path, buffer_bytes=64)
    ex = _exchange(sink)
    for i in range(500):  # more than the text layer's 8 KB chunk
        ex.place(i + 1, "alice", P, 1, 100, 1)
    assert path.stat().st_size > 0  # the small buffer already went to the file
    sink.flush()
    assert len(path.read_text().splitlines()) == 500


def test_a_jsonl_sink_can_append_after_a_restart(tmp_path):
    path = tmp_path / "events.jsonl"
    first = JsonlSink(path)
    _exchange(first).place(1, "alice", P, 1, 100, 1)
    first.close()
    again = JsonlSink(path, append=True, start_count=1)
    again.write([Settled(2, 2, ((P, 100.0),))])
    again.sync()
    assert again.count == 2 and len(path.read_text().splitlines()) == 2


def test_recent_events_are_bounded_and_counted():
    sink = RecentEvents(3)
    ex = _exchange(sink)
    _activity(ex)
    assert len(sink.events) == 3 and sink.count == ex.journal.count
    assert type(sink.events[-1]) is Settled
    assert list(ex.log) == list(sink.events)
    with pytest.raises(ValueError):
        RecentEvents(0)


def test_the_null_sink_keeps_nothing_but_counts():
    sink = NullSink()
    ex = _exchange(sink)
    _activity(ex)
    kept = _exchange()
    _activity(kept)
    assert sink.count == len(kept.log)
    with pytest.raises(AttributeError):
        ex.log  # noqa: B018


@pytest.mark.parametrize("line", ['[1]', '{"type":"Nope","seq":1}', '{"type":"Settled","seq":1}', 'not json'])
def test_decoding_refuses_what_is_not_an_event_line(line):
    with pytest.raises(ValueError):
        decode_event(line)
