"""A recording as the replay market consumes it: books and trades in exchange time, prices in ticks.

Lean tuples instead of DataFrames: a 24-hour recording has hundreds of thousands of books, and the
replay touches each once.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from operator import itemgetter
from pathlib import Path

from replay.format import BOOKS, TRADES
from replay.reader import clock_anchor, iter_lines, iter_rows, read_manifest

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


def _ticks(levels: list[list[float]], tick: int) -> Levels:
    return {round(p / tick): round(v) for p, v in levels}


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Loading builds millions of small containers that all live on: the cyclic collector would scan
    them again and again for nothing (about 15% of the load). Nothing here makes cycles."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def load_timeline(path: str | Path, tick_sizes: Mapping[str, int]) -> Timeline:
    """Books (receive times mapped to exchange time) and trades of a recording, each sorted by time
    (stable, so simultaneous books keep their arrival order)."""
    with _gc_paused():
        return _load_timeline(Path(path), tick_sizes)


def _load_timeline(directory: Path, tick_sizes: Mapping[str, int]) -> Timeline:
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
    append = books.append
    for row, line in iter_rows(directory / BOOKS):
        product = row["product"]
        tick = tick_sizes.get(product)
        if tick is None:
            skipped += 1
            continue
        elapsed = row["recv_ns"] - started
        ts = anchor + (elapsed if speed == 1.0 else round(speed * elapsed))
        # Ints already when the line has no '.' (the writer stores whole numbers as ints): checking the
        # text is far cheaper than checking every parsed number.
        if tick == 1 and ("." not in line if type(line) is str else b"." not in line):
            append((ts, product, dict(row["bids"]), dict(row["asks"])))
        else:
            append((ts, product, _ticks(row["bids"], tick), _ticks(row["asks"], tick)))
    books.sort(key=itemgetter(0))
    trades.sort(key=itemgetter(0))
    return Timeline(books, trades, skipped)
