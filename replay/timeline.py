"""A recording as the replay market consumes it: books and trades in exchange time, prices in ticks.

Lean tuples instead of DataFrames: a 24-hour recording has hundreds of thousands of books, and the
replay touches each once. A book side is a tuple of (price, volume) pairs as recorded, best first; a
side whose text repeats the product's previous one is that same tuple, so the replay tells an unchanged
side by identity and a changed level by comparing positions.

What is kept is tuples of ints, strings and such tuples, the books as columns (times, products, bids,
asks) rather than a tuple per book: the cyclic GC stops tracking such a tuple once it has seen what
it holds, so the recording is neither rescanned while it loads nor by the full collections that come
while the replay runs (a list of half a million books, or a tuple holding dicts, would be traversed by
every one of them).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from itertools import islice
from operator import itemgetter, le
from pathlib import Path

from replay.format import BOOKS, TRADES
from replay.reader import clock_anchor, iter_lines, iter_rows, read_manifest

Levels = dict[int, int]  # price in ticks -> volume, best first
Side = tuple[tuple[int, int], ...]  # (price in ticks, volume) pairs as recorded, best first
Book = tuple[int, str, Levels, Levels]  # (ts, product, bids, asks)
TapeTrade = tuple[int, str, str, str, int, int]  # (ts, product, buyer, seller, volume, price in ticks)


@dataclass(frozen=True)
class Timeline:
    """The books as columns (the i-th book: book_times[i], book_products[i], book_bids[i], book_asks[i])
    and the trades, each in time order."""

    book_times: tuple[int, ...]
    book_products: tuple[str, ...]
    book_bids: tuple[Side, ...]
    book_asks: tuple[Side, ...]
    trades: tuple[TapeTrade, ...]
    skipped: int  # rows of products the exchange does not list

    @property
    def books(self) -> list[Book]:
        """Each book with dict sides (a price recorded twice in a side keeps its last volume)."""
        return [(ts, product, dict(bids), dict(asks))
                for ts, product, bids, asks in zip(self.book_times, self.book_products, self.book_bids,
                                                   self.book_asks)]

    @property
    def first_ns(self) -> int | None:
        return min(self.book_times[:1] + tuple(trade[0] for trade in self.trades[:1]), default=None)

    @property
    def last_ns(self) -> int | None:
        return max(self.book_times[-1:] + tuple(trade[0] for trade in self.trades[-1:]), default=None)


def _ticks(levels: list[list[float]], tick: int) -> Levels:
    return {round(p / tick): round(v) for p, v in levels}


def _in_ticks(levels: list[list[float]], tick: int) -> Side:
    return tuple(_ticks(levels, tick).items())


# A book line exactly as the writer writes it with whole numbers: only digits, commas and brackets in the
# levels (`_WrittenSides` checks their shape). The whole file is matched in one call when every line is
# such a line (the usual case); otherwise line by line.
_WRITTEN_BOOK = (r'^\{"recv_ns":([1-9][0-9]*),"product":"([A-Za-z0-9_]+)",'
                 r'"bids":(\[[0-9,\[\]]*\]),"asks":(\[[0-9,\[\]]*\])\}$')
_written_line = re.compile(_WRITTEN_BOOK).fullmatch
_written_lines = re.compile(_WRITTEN_BOOK, re.MULTILINE).findall
_written_level = re.compile(r"(0|[1-9][0-9]*),(0|[1-9][0-9]*)").fullmatch


class _LevelPairs(dict):
    """The text of one written level ("price,volume") -> (price, volume): each distinct level is parsed
    once, and equal levels share one tuple. ValueError for text that is not two JSON whole numbers."""

    def __missing__(self, text: str) -> tuple[int, int]:
        match = _written_level(text)
        if match is None:
            raise ValueError(f"not a written level: {text!r}")
        pair = self[text] = (int(match[1]), int(match[2]))
        return pair


class _WrittenSides:
    """The sides of written book lines; a side whose text repeats the product's previous one on that
    side is that tuple again (most updates change one level on one side)."""

    def __init__(self) -> None:
        self.pairs = _LevelPairs()
        self.previous: dict[str, tuple[str, Side, str, Side]] = {}

    def __call__(self, product: str, bids_text: str, asks_text: str) -> tuple[Side, Side]:
        """ValueError unless both texts are JSON lists of [whole number, whole number]."""
        previous = self.previous.get(product)
        if previous is not None and previous[0] == bids_text:
            bids = previous[1]
        else:
            bids = self._side(bids_text)
        if previous is not None and previous[2] == asks_text:
            asks = previous[3]
        else:
            asks = self._side(asks_text)
        self.previous[product] = (bids_text, bids, asks_text, asks)
        return bids, asks

    def column(self, products: list[str], texts: Iterable[str]) -> list[Side]:
        """One side of many lines at once (`texts`, of the `products`): as `__call__`, in one loop."""
        last: dict[str, tuple[str, Side]] = {}
        sides: list[Side] = []
        append = sides.append
        for product, text in zip(products, texts):
            previous = last.get(product)
            if previous is not None and previous[0] == text:
                append(previous[1])
            else:
                side = self._side(text)
                last[product] = (text, side)
                append(side)
        return sides

    def _side(self, text: str) -> Side:
        # `text` holds only digits, commas and brackets: it is a list of pairs exactly when it is "[]" or
        # "[[" + levels joined by "],[" + "]]", each level "price,volume".
        if text == "[]":
            return ()
        if text[1] != "[" or text[-2] != "]":
            raise ValueError(f"not a written side: {text!r}")
        return tuple(map(self.pairs.__getitem__, text[2:-2].split("],[")))


class _BookColumns:
    """Books being loaded, as the `Timeline` columns."""

    def __init__(self) -> None:
        self.times: list[int] = []
        self.products: list[str] = []
        self.bids: list[Side] = []
        self.asks: list[Side] = []
        self.skipped = 0

    def sorted_by_time(self) -> tuple[tuple[int, ...], tuple[str, ...], tuple[Side, ...], tuple[Side, ...]]:
        """The columns as tuples in time order (stable: simultaneous books keep their arrival order)."""
        columns = self.times, self.products, self.bids, self.asks
        times = self.times
        if all(map(le, times, islice(times, 1, None))):  # as recorded, normally
            return tuple(map(tuple, columns))  # type: ignore[return-value]
        order = sorted(range(len(times)), key=times.__getitem__)
        return tuple(tuple(column[k] for k in order) for column in columns)  # type: ignore[return-value]


def _whole_file_rows(path: Path) -> list[tuple[str, str, str, str]] | None:
    """(recv_ns, product, bids, asks) texts of every line of `path`, when each is a written book line
    (None otherwise: a blank or truncated line, other formatting, bad UTF-8, no file...)."""
    if not path.exists():
        return None
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        return None
    rows = _written_lines(text)
    lines = text.count("\n") + (not text.endswith("\n"))
    return rows if len(rows) == lines else None


def _read_written_books(path: Path, tick_sizes: Mapping[str, int], started: int, anchor: int,
                        speed: float) -> _BookColumns | None:
    """The books of a file where every line is a written book line, or None. Column by column: each
    column's texts are taken out in one C pass, and only the sides need a Python step per book."""
    rows = _whole_file_rows(path)
    if rows is None:
        return None
    products = list(map(itemgetter(1), rows))
    sides = _WrittenSides()
    try:
        bids = sides.column(products, map(itemgetter(2), rows))
        asks = sides.column(products, map(itemgetter(3), rows))
    except ValueError:
        return None  # a line only looks written: line by line, where its JSON decides
    received = map(int, map(itemgetter(0), rows))
    if speed == 1.0:
        times = list(map((anchor - started).__add__, received))
    else:
        times = [anchor + round(speed * (recv_ns - started)) for recv_ns in received]
    books = _BookColumns()
    if all(tick_sizes.get(product) == 1 for product in set(products)):
        books.times, books.products, books.bids, books.asks = times, products, bids, asks
        return books
    for (_, _, bids_text, asks_text), ts, product, bids_side, asks_side in zip(rows, times, products, bids, asks):
        tick = tick_sizes.get(product)
        if tick is None:
            books.skipped += 1
            continue
        if tick != 1:
            bids_side, asks_side = _in_ticks(json.loads(bids_text), tick), _in_ticks(json.loads(asks_text), tick)
        books.times.append(ts)
        books.products.append(product)
        books.bids.append(bids_side)
        books.asks.append(asks_side)
    return books


def _read_books_by_line(path: Path, tick_sizes: Mapping[str, int], started: int, anchor: int,
                        speed: float) -> _BookColumns:
    """The books of any books file: written lines as above, others through JSON."""
    sides = _WrittenSides()

    def written(line: str) -> tuple[int, str, Side, Side] | None:
        match = _written_line(line)
        if match is None:
            return None
        recv_ns, product, bids_text, asks_text = match.groups()
        if tick_sizes.get(product) != 1:
            return None  # the general path converts or skips it
        try:
            return (int(recv_ns), product, *sides(product, bids_text, asks_text))
        except ValueError:
            return None

    books = _BookColumns()
    for row, line in iter_rows(path, written):
        if type(row) is tuple:  # a written line of a product in whole ticks
            recv_ns, product, bids, asks = row
        else:
            product = row["product"]
            tick = tick_sizes.get(product)
            if tick is None:
                books.skipped += 1
                continue
            recv_ns = row["recv_ns"]
            # Ints already when the line has no '.' (the writer stores whole numbers as ints): checking the
            # text is far cheaper than checking every parsed number.
            if tick == 1 and ("." not in line if type(line) is str else b"." not in line):
                bids, asks = tuple(dict(row["bids"]).items()), tuple(dict(row["asks"]).items())
            else:
                bids, asks = _in_ticks(row["bids"], tick), _in_ticks(row["asks"], tick)
        elapsed = recv_ns - started
        books.times.append(anchor + (elapsed if speed == 1.0 else round(speed * elapsed)))
        books.products.append(product)
        books.bids.append(bids)
        books.asks.append(asks)
    return books


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
    path = directory / BOOKS
    books = (_read_written_books(path, tick_sizes, started, anchor, speed)
             or _read_books_by_line(path, tick_sizes, started, anchor, speed))
    trades.sort(key=itemgetter(0))
    return Timeline(*books.sorted_by_time(), tuple(trades), skipped + books.skipped)
