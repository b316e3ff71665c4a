"""Writing a recording: append-only JSON lines, flushed at least every `flush_interval_s`.

Thread-safe: the recorder's stream, trade and world threads share one writer. A kill loses at most
what was written since the last flush (the recorder also calls `flush()` every second).
"""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path
from typing import IO, Any

from replay.format import BOOKS, FORMAT_NAME, FORMAT_VERSION, GAPS, MANIFEST, PRODUCTS, TRADES, WORLD_DIR, number


def _dumps(record: dict[str, Any]) -> str:
    return json.dumps(record, separators=(",", ":"))


class RecordingWriter:
    """A recording directory being written. `clock` gives monotonic seconds (for flush timing only)."""

    def __init__(self, directory: str | Path, source: str, username: str, started_ns: int,
                 speed: float = 1.0, flush_interval_s: float = 1.0) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        if (self.directory / MANIFEST).exists():
            raise FileExistsError(f"{self.directory} already holds a recording ({MANIFEST})")
        self.manifest: dict[str, Any] = {
            "format": FORMAT_NAME, "version": FORMAT_VERSION, "source": source, "username": username,
            "started_ns": started_ns, "ended_ns": None, "products": [], "speed": speed,
            "clock_anchor_ns": None, "complete": False,
        }
        self._flush_interval = flush_interval_s
        self._lock = threading.Lock()
        self._files: dict[str, IO[str]] = {}
        self._last_flush = time.monotonic()
        self._write_manifest()
        for name in (BOOKS, TRADES, GAPS):  # present (maybe empty) even if nothing arrives
            self._file(name)

    # -- records ----------------------------------------------------------------------------------

    def products(self, items: list[dict[str, Any]]) -> None:
        (self.directory / PRODUCTS).write_text(json.dumps(items, indent=1), encoding="utf-8")
        self.manifest["products"] = [item["symbol"] for item in items]
        self._write_manifest()

    def book(self, recv_ns: int, product: str, bids: list[tuple[float, float]], asks: list[tuple[float, float]]) -> None:
        self._append(BOOKS, {"recv_ns": recv_ns, "product": product,
                             "bids": [[number(p), number(v)] for p, v in bids],
                             "asks": [[number(p), number(v)] for p, v in asks]})

    def trade(self, recv_ns: int, timestamp: str, ts: int, product: str, buyer: str, seller: str,
              volume: int, price: float) -> None:
        self._append(TRADES, {"recv_ns": recv_ns, "timestamp": timestamp, "ts": ts, "product": product,
                              "buyer": buyer, "seller": seller, "volume": volume, "price": number(price)})

    def gap(self, recv_ns: int, source: str, event: str, detail: str = "") -> None:
        self._append(GAPS, {"recv_ns": recv_ns, "source": source, "event": event, "detail": detail})

    def world(self, recv_ns: int, name: str, url: str, status: int | None, body: Any, error: str | None) -> None:
        self._append(f"{WORLD_DIR}/{name}.jsonl", {"recv_ns": recv_ns, "url": url, "status": status,
                                                   "body": body, "error": error})

    # -- lifecycle --------------------------------------------------------------------------------

    def flush(self) -> None:
        with self._lock:
            self._flush_locked()

    def close(self, ended_ns: int, clock_anchor_ns: int | None = None) -> None:
        """Flush, close the files and mark the recording complete."""
        with self._lock:
            self._flush_locked()
            for handle in self._files.values():
                handle.close()
            self._files.clear()
            self.manifest.update(ended_ns=ended_ns, complete=True, clock_anchor_ns=clock_anchor_ns)
            self._write_manifest()

    # -- internals --------------------------------------------------------------------------------

    def _append(self, name: str, record: dict[str, Any]) -> None:
        line = _dumps(record) + "\n"
        with self._lock:
            if self.manifest["complete"]:
                return  # a straggling thread after close: the recording is final
            self._file(name).write(line)
            if time.monotonic() - self._last_flush >= self._flush_interval:
                self._flush_locked()

    def _file(self, name: str) -> IO[str]:
        handle = self._files.get(name)
        if handle is None:
            path = self.directory / name
            path.parent.mkdir(parents=True, exist_ok=True)
            handle = self._files[name] = path.open("a", encoding="utf-8")
        return handle

    def _flush_locked(self) -> None:
        for handle in self._files.values():
            handle.flush()
        self._last_flush = time.monotonic()

    def _write_manifest(self) -> None:
        # Write-then-rename, so a kill never leaves a half-written manifest.
        path = self.directory / MANIFEST
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(self.manifest, indent=1), encoding="utf-8")
        os.replace(tmp, path)
