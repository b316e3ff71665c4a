"""Reading a recording: DataFrames for analysis, and lean tuples for the replay market."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from replay.format import BOOKS, FORMAT_NAME, FORMAT_VERSION, GAPS, MANIFEST, PRODUCTS, TRADES, WORLD_DIR, RecordingError

_BOOK_COLUMNS = ["recv_ns", "ts", "product", "bids", "asks"]
_TRADE_COLUMNS = ["recv_ns", "timestamp", "ts", "product", "buyer", "seller", "volume", "price"]
_GAP_COLUMNS = ["recv_ns", "source", "event", "detail"]


_scan = json.JSONDecoder().scan_once  # the C scanner json.loads ends up in, without its per-call overhead
_BLANK = b" \t\n\r\x0b\x0c"  # what bytes.strip() strips: blank lines are skipped as before


def iter_rows(path: Path, fast: Callable[[str], Any] | None = None) -> Iterator[tuple[Any, str | bytes]]:
    """(parsed value, line text) for each non-blank JSON line of `path` (nothing if it is missing). A
    broken *last* line is the trace of a kill mid-write and is dropped; a broken line elsewhere is an
    error.

    Exactly `json.loads` per line, faster: the file is decoded once and each line goes straight to the
    C scanner; a line it does not take whole (whitespace around it, a BOM, bad JSON) goes through
    `json.loads` on its bytes, which decides as before. `fast(line)` may parse a line its own way
    first (None: it does not take it)."""
    if not path.exists():
        return
    with path.open("rb") as handle:
        data = handle.read()
    try:
        text: str | bytes = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data  # json.loads decides (and reports) line by line, as before
    lines = text.split("\n" if type(text) is str else b"\n")
    last = len(lines) - 1
    blank = _BLANK.decode() if type(text) is str else _BLANK
    scan = _scan
    for number, line in enumerate(lines):
        if not line.strip(blank):
            continue
        if type(line) is str:
            if fast is not None:
                value = fast(line)
                if value is not None:
                    yield value, line
                    continue
            try:
                value, end = scan(line, 0)
            except (StopIteration, ValueError, RecursionError):
                end = -1  # json.loads below gives the verdict (and the error) it always gave
            if end == len(line):
                yield value, line
                continue
            raw = line.encode("utf-8")
        else:
            raw = line
        try:
            value = json.loads(raw)
        except json.JSONDecodeError:
            if number >= last - 1 and not any(rest.strip(blank) for rest in lines[number + 1:]):
                return
            raise RecordingError(f"{path}: line {number + 1} is not valid JSON") from None
        yield value, line


def iter_lines(path: Path) -> Iterator[dict[str, Any]]:
    """Parsed JSON lines of `path` (see `iter_rows`)."""
    for value, _ in iter_rows(path):
        yield value


def read_manifest(directory: Path) -> dict[str, Any]:
    path = directory / MANIFEST
    if not path.is_file():
        raise RecordingError(f"{directory}: not a recording (no {MANIFEST})")
    manifest = json.loads(path.read_text(encoding="utf-8"))
    if manifest.get("format") != FORMAT_NAME:
        raise RecordingError(f"{path}: not a {FORMAT_NAME} manifest")
    if manifest.get("version") != FORMAT_VERSION:
        raise RecordingError(f"{path}: format version {manifest.get('version')!r}; this reader reads {FORMAT_VERSION}")
    return manifest


def clock_anchor(manifest: dict[str, Any], trades: list[tuple[int, int]]) -> int:
    """The exchange time at the recording's start: stored, else the tightest bound from (ts, recv_ns)
    pairs of trades (each was seen after it happened), else the local start time."""
    stored = manifest.get("clock_anchor_ns")
    if stored is not None:
        return int(stored)
    started, speed = int(manifest["started_ns"]), float(manifest.get("speed", 1.0))
    if not trades:
        return started
    return max(ts - round(speed * (recv - started)) for ts, recv in trades)


def exchange_time(recv_ns: int, started_ns: int, anchor_ns: int, speed: float) -> int:
    """A receive time mapped to exchange time (relative times keep float products exact enough)."""
    elapsed = recv_ns - started_ns
    return anchor_ns + (elapsed if speed == 1.0 else round(speed * elapsed))


@dataclass
class Recording:
    """A recording in memory. `books.ts` is the receive time mapped to exchange time (see `replay.format`)."""

    path: Path
    manifest: dict[str, Any]
    products: list[dict[str, Any]]
    books: pd.DataFrame
    trades: pd.DataFrame
    gaps: pd.DataFrame
    world: dict[str, pd.DataFrame] = field(default_factory=dict)

    @property
    def speed(self) -> float:
        return float(self.manifest.get("speed", 1.0))


def read_recording(path: str | Path) -> Recording:
    """Read every file of a recording into DataFrames (tolerating a truncated last line)."""
    directory = Path(path)
    manifest = read_manifest(directory)
    trade_rows = list(iter_lines(directory / TRADES))
    anchor = clock_anchor(manifest, [(row["ts"], row["recv_ns"]) for row in trade_rows])
    speed, started = float(manifest.get("speed", 1.0)), int(manifest["started_ns"])
    book_rows = [{"recv_ns": r["recv_ns"], "ts": exchange_time(r["recv_ns"], started, anchor, speed), "product": r["product"],
                  "bids": r["bids"], "asks": r["asks"]} for r in iter_lines(directory / BOOKS)]
    world: dict[str, pd.DataFrame] = {}
    if (directory / WORLD_DIR).is_dir():
        for file in sorted((directory / WORLD_DIR).glob("*.jsonl")):
            world[file.stem] = pd.DataFrame(list(iter_lines(file)))
    products_path = directory / PRODUCTS
    products = json.loads(products_path.read_text(encoding="utf-8")) if products_path.exists() else []
    return Recording(
        path=directory,
        manifest=manifest,
        products=products,
        books=pd.DataFrame(book_rows, columns=_BOOK_COLUMNS),
        trades=pd.DataFrame(trade_rows, columns=_TRADE_COLUMNS),
        gaps=pd.DataFrame(list(iter_lines(directory / GAPS)), columns=_GAP_COLUMNS),
        world=world,
    )


def gap_intervals(gaps: pd.DataFrame) -> list[tuple[str, int, int | None]]:
    """(source, disconnected at, reconnected at or None) for each outage, from the gap events."""
    open_at: dict[str, int] = {}
    out: list[tuple[str, int, int | None]] = []
    for row in gaps.itertuples(index=False):
        if row.event == "disconnect":
            open_at.setdefault(row.source, row.recv_ns)
        elif row.event == "reconnect" and row.source in open_at:
            out.append((row.source, open_at.pop(row.source), row.recv_ns))
    out.extend((source, start, None) for source, start in open_at.items())
    return sorted(out, key=lambda gap: gap[1])
