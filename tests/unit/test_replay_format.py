"""The recording format: the writer's files, the reader's DataFrames, truncation and versions."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from replay import FORMAT_VERSION, RecordingError, RecordingWriter, read_recording
from replay.reader import gap_intervals

T0 = 1_772_280_000_000_000_000


def write_sample(directory, speed: float = 1.0) -> RecordingWriter:
    writer = RecordingWriter(directory, "http://127.0.0.1:1", "rec", T0, speed=speed)
    writer.products([{"symbol": "TIDE_SPOT", "tickSize": 1, "startingPrice": 10, "contractSize": 1}])
    writer.book(T0 + 1, "TIDE_SPOT", [(100.0, 5.0), (99.0, 3.0)], [(101.0, 2.0)])
    writer.trade(T0 + 9, "2026-02-28T12:00:00.000000002Z", T0 + 2, "TIDE_SPOT", "a", "b", 2, 101.0)
    writer.gap(T0 + 10, "stream", "disconnect", "ConnectionError")
    writer.gap(T0 + 20, "stream", "reconnect")
    writer.world(T0 + 30, "tide", "https://example.invalid/tide", None, None, "ConnectionError: refused")
    return writer


def test_round_trip_gives_the_written_rows(tmp_path):
    write_sample(tmp_path).close(T0 + 99)
    rec = read_recording(tmp_path)
    assert rec.manifest["version"] == FORMAT_VERSION and rec.manifest["complete"]
    assert rec.manifest["products"] == ["TIDE_SPOT"]
    assert rec.books.loc[0, "bids"] == [[100, 5], [99, 3]] and rec.books.loc[0, "asks"] == [[101, 2]]
    # the book's exchange time: receive time plus the offset the trades bound (trade seen 7 ns late)
    assert rec.books.loc[0, "ts"] == T0 + 1 - 7
    assert rec.trades.iloc[0][["ts", "buyer", "seller", "volume", "price"]].tolist() == [T0 + 2, "a", "b", 2, 101]
    assert gap_intervals(rec.gaps) == [("stream", T0 + 10, T0 + 20)]
    assert rec.world["tide"].loc[0, "error"].startswith("ConnectionError")


def test_each_file_reads_with_pandas_in_one_line(tmp_path):
    write_sample(tmp_path).close(T0 + 99)
    books = pd.read_json(tmp_path / "books.jsonl", lines=True)
    trades = pd.read_json(tmp_path / "trades.jsonl", lines=True)
    assert list(books.columns) == ["recv_ns", "product", "bids", "asks"] and len(books) == 1
    assert trades.loc[0, "ts"] == T0 + 2  # pandas parses `timestamp` into a datetime itself


def test_a_truncated_last_line_is_dropped(tmp_path):
    writer = write_sample(tmp_path)
    writer.flush()
    with (tmp_path / "books.jsonl").open("a") as handle:
        handle.write('{"recv_ns": 5, "product": "TIDE_')  # a kill in the middle of a write
    rec = read_recording(tmp_path)
    assert len(rec.books) == 1 and not rec.manifest["complete"]


def test_a_broken_line_in_the_middle_is_an_error(tmp_path):
    write_sample(tmp_path).close(T0 + 99)
    path = tmp_path / "books.jsonl"
    path.write_text("{broken\n" + path.read_text())
    with pytest.raises(RecordingError, match="line 1"):
        read_recording(tmp_path)


def test_an_unknown_version_is_refused(tmp_path):
    write_sample(tmp_path).close(T0 + 99)
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    (tmp_path / "manifest.json").write_text(json.dumps(manifest | {"version": 99}))
    with pytest.raises(RecordingError, match="version 99"):
        read_recording(tmp_path)


def test_the_writer_refuses_to_overwrite_a_recording(tmp_path):
    write_sample(tmp_path).close(T0 + 99)
    with pytest.raises(FileExistsError):
        RecordingWriter(tmp_path, "x", "y", T0)


def test_speed_maps_receive_times_to_session_time(tmp_path):
    writer = RecordingWriter(tmp_path, "x", "rec", T0, speed=60.0)
    writer.trade(T0 + 1_000, "2026-02-28T12:00:00.000000000Z", T0, "TIDE_SPOT", "a", "b", 1, 100)
    writer.book(T0 + 2_000, "TIDE_SPOT", [], [])
    writer.close(3_000)
    assert read_recording(tmp_path).books.loc[0, "ts"] == T0 + 60 * 1_000


@pytest.mark.parametrize("data", [
    b'{"a": 1}\r\n {"b": [1.5, "\xc3\xa9"]} \n\n\t\n{"c": null}\n',        # CRLF, spaces, blank lines, UTF-8
    b'\xef\xbb\xbf{"a": 1}\n{"b": 2}\n',                                    # a byte-order mark
    b'{"a": "\xff"}\n{"b": 2}\n',                                           # not UTF-8: json.loads decides
    b'{"a": 1}\n{"b": 2}\n{"c": [1, ',                                      # a truncated last line
    b'{"a": 1}\n{"b": 2} {"c": 3}\n{"d": 4}\n',                             # two values on one line
])
def test_the_fast_line_reader_reads_as_json_loads_per_line(tmp_path, data):
    from replay.reader import iter_lines

    path = tmp_path / "lines.jsonl"
    path.write_bytes(data)
    lines = [line for line in data.split(b"\n") if line.strip()]

    def reference() -> list:
        out = []
        for number, line in enumerate(lines):
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError:
                if number == len(lines) - 1:
                    break
                raise RecordingError("broken") from None
            except UnicodeDecodeError as error:
                return [type(error)]
        return out

    def read() -> list:
        try:
            return list(iter_lines(path))
        except UnicodeDecodeError as error:
            return [type(error)]

    try:
        expected = reference()
    except RecordingError:
        with pytest.raises(RecordingError, match="line 2"):
            read()
    else:
        assert read() == expected


def test_the_timeline_reads_written_books_as_the_general_parser_does(tmp_path):
    from replay.timeline import _ticks, load_timeline

    writer = RecordingWriter(tmp_path, "http://127.0.0.1:1", "rec", T0)
    writer.book(T0 + 1, "TIDE_SPOT", [(100, 5), (99, 3)], [(101, 2)])
    writer.book(T0 + 2, "TIDE_SPOT", [(100, 5), (99, 3)], [(101, 4)])      # bids repeat: reused
    writer.book(T0 + 3, "WX_SPOT", [(100.5, 5)], [(101, 2)])               # a float: the general path
    writer.book(T0 + 4, "TIDE_SPOT", [(100, 6), (99, 3)], [(101, 4)])      # asks repeat
    writer.book(T0 + 5, "NOT_LISTED", [(1, 1)], [])
    writer.book(T0 + 6, "LON_FLY", [], [(204, 1)])                          # tick 2
    writer.book(T0 + 7, "TIDE_SPOT", [], [])
    writer.close(T0 + 9)
    ticks = {"TIDE_SPOT": 1, "WX_SPOT": 1, "LON_FLY": 2}
    timeline = load_timeline(tmp_path, ticks)
    rows = [json.loads(line) for line in (tmp_path / "books.jsonl").read_text().splitlines()]
    expected = [(row["recv_ns"], row["product"], _ticks(row["bids"], ticks[row["product"]]),
                 _ticks(row["asks"], ticks[row["product"]])) for row in rows if row["product"] in ticks]
    assert timeline.books == expected and timeline.skipped == 1
    assert all(type(price) is int for book in timeline.books for side in book[2:] for price in side)
