"""Where the exchange's events go as they happen: an event sink.

The exchange hands every batch of events (one command's) to its sink's `write` and keeps none itself,
so a long-running server's memory does not grow with its history. Sinks:

- `EventList`: keeps every event in memory (`.events`); the default for an exchange built without a
  sink (tests, short library runs), and what `Exchange.log` reads.
- `RecentEvents(limit)`: keeps only the last `limit` events (bounded memory, for tests and dashboards).
- `NullSink`: keeps nothing, only counts.
- `JsonlSink(path)`: streams each event as one JSON line (`event_lines`), byte-identical to the
  run directory's `events.jsonl`; `flush()` hands what was written to the OS, `sync()` to the disk.

Every sink counts what it was given (`count`). `write` is a plain attribute where it can be (a list's
or deque's own `extend`): the exchange calls it once per command on its hot path.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import IO, Protocol

from cmi_sim.engine import Event
from cmi_sim.exchange.event_lines import EventLineEncoder


class EventSink(Protocol):
    """What the exchange writes its events to."""

    write: Callable[[Sequence[Event]], None]  # one command's events, in order

    @property
    def count(self) -> int:
        """Events written so far."""

    def flush(self) -> None:
        """Hand everything written so far to the OS (it then survives the process being killed)."""

    def close(self) -> None: ...


class EventList:
    """Every event, in memory, oldest first."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self.write = self.events.extend

    @property
    def count(self) -> int:
        return len(self.events)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass


class NullSink:
    """Keeps nothing; counts."""

    def __init__(self) -> None:
        self._count = 0

    def write(self, events: Sequence[Event]) -> None:
        self._count += len(events)

    @property
    def count(self) -> int:
        return self._count

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass


class RecentEvents(NullSink):
    """The last `limit` events, in memory; older ones are forgotten (but counted)."""

    def __init__(self, limit: int) -> None:
        if limit <= 0:
            raise ValueError(f"limit must be positive, got {limit}")
        super().__init__()
        self.events: deque[Event] = deque(maxlen=limit)
        self._keep = self.events.extend

    def write(self, events: Sequence[Event]) -> None:
        self._count += len(events)
        self._keep(events)


class JsonlSink:
    """Events as JSON lines, streamed to a file as they are written (buffered; see `flush`).

    `path` is created (or truncated); with `append=True` new lines go after the existing ones, for a
    journal that goes on after a restart (`count` then starts at `start_count`).
    """

    def __init__(self, path: Path | str, append: bool = False, start_count: int = 0,
                 buffer_bytes: int = 1 << 20) -> None:
        self.path = Path(path)
        self._out: IO[str] = self.path.open("a" if append else "w", encoding="utf-8", newline="\n",
                                            buffering=buffer_bytes)
        self._encode = EventLineEncoder()
        self._count = start_count
        self._text = self._out.write

    def write(self, events: Sequence[Event]) -> None:
        encode = self._encode
        self._count += len(events)
        if len(events) == 1:
            self._text(encode(events[0]) + "\n")
        elif events:  # a command may make no event (a cancel by price that found nothing)
            self._text("\n".join(map(encode, events)) + "\n")

    def write_all(self, events: Iterable[Event]) -> None:
        for event in events:
            self.write((event,))

    @property
    def count(self) -> int:
        return self._count

    def flush(self) -> None:
        self._out.flush()

    def fileno(self) -> int:
        return self._out.fileno()

    def sync(self) -> None:
        """Flush, then ask the OS to put the file on disk (survives a power loss, not only a kill)."""
        self._out.flush()
        os.fsync(self._out.fileno())

    def close(self) -> None:
        if not self._out.closed:
            self._out.close()
