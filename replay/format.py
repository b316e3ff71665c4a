"""The recording format, version 1: a directory of JSON files, each readable with pandas in one line.

    manifest.json   {"format": "cmi-recording", "version": 1, "source": URL, "username": str,
                     "started_ns": int, "ended_ns": int | null, "products": [symbol, ...],
                     "speed": float, "clock_anchor_ns": int | null, "complete": bool}
    products.json   the exchange's GET /api/product answer, verbatim (list of product objects)
    books.jsonl     one line per SSE `order` event, in arrival order:
                    {"recv_ns": int, "product": str, "bids": [[price, volume], ...], "asks": [[price, volume], ...]}
                    levels best first (bids high to low, asks low to high); price in price units, volume
                    the level's `marketVolume` (every participant's, the recorder's own included)
    trades.jsonl    one line per trade of GET /api/trade, oldest first, each trade once:
                    {"recv_ns": int, "timestamp": str, "ts": int, "product": str, "buyer": str,
                     "seller": str, "volume": int, "price": number}
    gaps.jsonl      one line per lost/regained connection:
                    {"recv_ns": int, "source": "stream" | "trades" | "world:<name>", "event":
                     "disconnect" | "reconnect" | "restart", "detail": str}
    world/<name>.jsonl  (with --world) one line per poll: {"recv_ns": int, "url": str, "status": int | null,
                     "body": json | null, "error": str | null}

One-liners: `pd.read_json("books.jsonl", lines=True)`, `pd.read_json("trades.jsonl", lines=True)`.
A recording killed mid-write may end in a truncated line: `replay.read_recording` drops it, pandas'
one-liner does not (use `read_recording` for recordings that did not close cleanly).

Times: `recv_ns` is the recorder's local wall clock (UTC ns) when the line arrived; `ts` is the
exchange's trade timestamp in ns. Books carry no exchange time, so the reader maps receive times to
exchange time as `ts = clock_anchor_ns + speed * (recv_ns - started_ns)` (`speed` is 1 against a live
exchange, the `--speed` of a `cmi-sim serve` session otherwise). Without a stored anchor (the recorder
stores none) it is estimated from the trades as the tightest bound
max(trade.ts - speed * (trade.recv_ns - started_ns)), since a trade is seen after it happens; with no
trades, the local clock is taken as the exchange's.
"""

from __future__ import annotations

FORMAT_NAME = "cmi-recording"
FORMAT_VERSION = 1

MANIFEST = "manifest.json"
PRODUCTS = "products.json"
BOOKS = "books.jsonl"
TRADES = "trades.jsonl"
GAPS = "gaps.jsonl"
WORLD_DIR = "world"


class RecordingError(ValueError):
    """A recording is missing, of an unknown version, or broken beyond a truncated last line."""


def number(value: float) -> int | float:
    """Whole numbers as ints (smaller files, exact), others as floats."""
    as_int = int(value)
    return as_int if as_int == value else float(value)
