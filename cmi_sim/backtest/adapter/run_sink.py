"""The backtest exchange's event sink: the event log as the run's events mode says, and the trades.

- `full`: every event streamed to `events.jsonl` (the journal's `JsonlSink`, same bytes);
- `compact`: only trades, rejections and the settlement (what a later audit of the figures needs);
- `none`: no file, for sweeps.

Whatever the mode it keeps the trades (fills and tape prints) in memory, from which the trading
record is built after the session (`trading_record.py`): a day has tens of thousands, not the million
other events. The check costs one `len` per command: fills only come in batches of several events (an
order and what it matched); a tape print comes alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from cmi_sim.engine import CancelRejected, Event, Fill, OrderRejected, Settled, TapePrint
from cmi_sim.exchange import JsonlSink

COMPACT_TYPES = (Fill, TapePrint, OrderRejected, CancelRejected, Settled)


class RunSink:
    def __init__(self, mode: str, path: Path | None) -> None:
        if mode not in ("full", "compact", "none"):
            raise ValueError(f"events mode must be full, compact or none, got {mode!r}")
        self.mode = mode
        self.trades: list[Fill | TapePrint] = []
        self._file = JsonlSink(path) if path is not None and mode != "none" else None
        self._count = 0
        self._to_file = self._file.write if self._file is not None else None

    def write(self, events: Sequence[Event]) -> None:
        if not events:  # a cancel by price that found nothing
            return
        self._count += len(events)
        if len(events) > 1:
            self.trades.extend(event for event in events if type(event) is Fill)
        elif type(events[0]) is TapePrint:
            self.trades.append(events[0])
        if self._to_file is not None:
            if self.mode == "full":
                self._to_file(events)
            else:
                kept = [event for event in events if isinstance(event, COMPACT_TYPES)]
                if kept:
                    self._to_file(kept)

    @property
    def count(self) -> int:
        return self._count

    def flush(self) -> None:
        if self._file is not None:
            self._file.flush()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
