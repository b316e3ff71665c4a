"""A recording as the replay market consumes it: books and trades in exchange time, prices in ticks.

Lean tuples instead of DataFrames: a 24-hour recording has hundreds of thousands of books, and the
replay touches each once.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from replay.format import BOOKS, TRADES
from replay.reader import clock_anchor, iter_lines, read_manifest

Levels = dict[int, int]  # price in ticks -> volume, best first
Book = tuple[int, str, Levels, Levels]  # (ts, product, bids, asks)
TapeTrade = tuple[int, str, str, str, int, int]  # (ts, product, buyer, seller, volume, price in ticks)


@dataclass(frozen=True)
class Timeline:
    books: list[Book]
    trades: list[TapeTrade]
    skipped: int  # rows of products the exchange does not list

    @property
    def first_ns(self) -> int | None:
        times = [seq[0][0] for seq in (self.books, self.trades) if seq]
        return min(times) if times else None

    @property
    def last_ns(self) -> int | None:
        times = [seq[-1][0] for seq in (self.books, self.trades) if seq]
        return max(times) if times else None


def _ticks(levels: list[list[float]], tick: int, whole: bool) -> Levels:
    if tick == 1 and whole:
        return dict(levels)  # ints already: the writer stores whole numbers as ints
    return {round(p / tick): round(v) for p, v in levels}


def _book_rows(path: Path) -> Iterator[tuple[dict, bool]]:
    """Parsed book lines, each with whether it holds only whole numbers (no '.' in its text: checking
    the bytes is far cheaper than checking every parsed number)."""
    lines = path.read_bytes().split(b"\n") if path.exists() else []
    rows = iter_lines(path)
    for line in lines:
        if line.strip():
            try:
                yield next(rows), b"." not in line
            except StopIteration:  # a truncated last line was dropped
                return


def load_timeline(path: str | Path, tick_sizes: Mapping[str, int]) -> Timeline:
    """Books (receive times mapped to exchange time) and trades of a recording, each sorted by time
    (stable, so simultaneous books keep their arrival order)."""
    directory = Path(path)
    manifest = read_manifest(directory)
    speed = float(manifest.get("speed", 1.0))
    skipped = 0
    trades: list[TapeTrade] = []
    pairs: list[tuple[int, int]] = []
    for row in iter_lines(directory / TRADES):
        pairs.append((row["ts"], row["recv_ns"]))
        tick = tick_sizes.get(row["product"])
        if tick is None:
            skipped += 1
            continue
        price = row["price"]
        trades.append((row["ts"], row["product"], row["buyer"], row["seller"], int(row["volume"]),
                       price if tick == 1 and type(price) is int else round(price / tick)))
    anchor = clock_anchor(manifest, pairs)
    started = int(manifest["started_ns"])
    books: list[Book] = []
    for row, whole in _book_rows(directory / BOOKS):
        tick = tick_sizes.get(row["product"])
        if tick is None:
            skipped += 1
            continue
        elapsed = row["recv_ns"] - started
        ts = anchor + (elapsed if speed == 1.0 else round(speed * elapsed))
        books.append((ts, row["product"], _ticks(row["bids"], tick, whole), _ticks(row["asks"], tick, whole)))
    books.sort(key=lambda book: book[0])
    trades.sort(key=lambda trade: trade[0])
    return Timeline(books, trades, skipped)
