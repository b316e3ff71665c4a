"""A recording as the replay market consumes it: books and trades in exchange time, prices in ticks.

Lean tuples instead of DataFrames: a 24-hour recording has hundreds of thousands of books, and the
replay touches each once.
"""

from __future__ import annotations

import gc
import json
import re
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


# A book line exactly as the writer writes it with whole numbers: only digits, commas and brackets in the
# levels. Such a line is parsed side by side, and a side whose text repeats the product's previous one
# (most updates change one level on one side) reuses that side's levels instead of parsing them again.
_WRITTEN_BOOK = re.compile(r'\{"recv_ns":([1-9][0-9]*),"product":"([A-Za-z0-9_]+)",'
                           r'"bids":(\[[0-9,\[\]]*\]),"asks":(\[[0-9,\[\]]*\])\}').fullmatch
_scan = json.JSONDecoder().scan_once


def _levels(text: str) -> Levels | None:
    try:
        value, end = _scan(text, 0)
    except (StopIteration, ValueError):
        return None
    return dict(value) if end == len(text) else None


class _WrittenBooks:
    """`fast` parser of `iter_rows` for books: (recv_ns, product, bids, asks) with levels in whole ticks,
    or None for a line the general path must take (a product with a tick size other than 1, floats...)."""

    def __init__(self, tick_sizes: Mapping[str, int]) -> None:
        self.tick_sizes = tick_sizes
        self.previous: dict[str, tuple[str, Levels, str, Levels]] = {}

    def __call__(self, line: str) -> tuple[int, str, Levels, Levels] | None:
        match = _WRITTEN_BOOK(line)
        if match is None:
            return None
        recv, product, bids_text, asks_text = match.groups()
        if self.tick_sizes.get(product) != 1:
            return None
        previous = self.previous.get(product)
        if previous is not None and previous[0] == bids_text:
            bids: Levels | None = previous[1]
        else:
            bids = _levels(bids_text)
        if previous is not None and previous[2] == asks_text:
            asks: Levels | None = previous[3]
        else:
            asks = _levels(asks_text)
        if bids is None or asks is None:
            return None
        self.previous[product] = (bids_text, bids, asks_text, asks)
        return int(recv), product, bids, asks


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
    for row, line in iter_rows(directory / BOOKS, _WrittenBooks(tick_sizes)):
        if type(row) is tuple:  # taken by the fast parser: whole ticks already
            recv_ns, product, bids, asks = row
            elapsed = recv_ns - started
            append((anchor + (elapsed if speed == 1.0 else round(speed * elapsed)), product, bids, asks))
            continue
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
