"""When each line of the bot's output was written, in virtual time: `bot.log-times` beside `bot.stdout`.

The child wraps `sys.stdout` and `sys.stderr` in `TimedLines`, which passes everything through unchanged
and notes the virtual time at which a line's first character was written. Only changes of time are
kept (`stream line-number ns`, one per line of the file): a bot printing a hundred lines in one instant
costs one entry. The report places the bot's log on its time axis with it (`times_of_lines`), or, for
lines without an entry, with a time the line itself begins with (`line_time_ms`).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any

TIMES_NAME = "bot.log-times"


class TimedLines:
    """A text stream in front of `stream` that notes, in `sink`, the time of every new line."""

    def __init__(self, stream: IO[str], name: str, clock_ns: Callable[[], int], sink: IO[str]) -> None:
        self._stream = stream
        self._name = name
        self._clock_ns = clock_ns
        self._sink = sink
        self._line = 0  # index of the line the next character belongs to
        self._at_line_start = True
        self._last_ns: int | None = None

    def write(self, text: str) -> int:
        written = self._stream.write(text)
        if text:
            if self._at_line_start:
                self._note(self._line)
            newlines = text.count("\n")
            if newlines and not text.endswith("\n"):  # a line starts inside this write
                self._note(self._line + newlines)
            self._line += newlines
            self._at_line_start = text.endswith("\n")
        return written

    def _note(self, line: int) -> None:
        ns = self._clock_ns()
        if ns != self._last_ns:
            self._last_ns = ns
            self._sink.write(f"{self._name} {line} {ns}\n")

    def flush(self) -> None:
        self._stream.flush()
        self._sink.flush()

    def __getattr__(self, name: str) -> Any:  # encoding, fileno, isatty, buffer, ...
        return getattr(self._stream, name)


def time_bot_output(clock_ns: Callable[[], int], run_dir: Path) -> None:
    """Wrap the child's stdout and stderr (called once, in the child, before the bot starts)."""
    sink = (Path(run_dir) / TIMES_NAME).open("w", encoding="ascii")
    sys.stdout = TimedLines(sys.stdout, "stdout", clock_ns, sink)
    sys.stderr = TimedLines(sys.stderr, "stderr", clock_ns, sink)


def read_line_times(path: Path) -> dict[str, list[tuple[int, int]]]:
    """`{stream: [(first line, ns), ...]}` in line order; each entry holds until the next. Unreadable
    entries are skipped (a child killed mid-write leaves a partial last line)."""
    times: dict[str, list[tuple[int, int]]] = {}
    try:
        text = path.read_text(encoding="ascii", errors="replace")
    except OSError:
        return times
    for entry in text.splitlines():
        parts = entry.split()
        if len(parts) != 3 or not parts[1].isdigit() or not parts[2].isdigit():
            continue
        times.setdefault(parts[0], []).append((int(parts[1]), int(parts[2])))
    return times


def times_of_lines(count: int, entries: list[tuple[int, int]]) -> list[float | None]:
    """Each line's time in ms from run-length entries (first line, ns): an entry holds until the next."""
    times: list[float | None] = [None] * count
    for k, (first, ns) in enumerate(entries):
        end = entries[k + 1][0] if k + 1 < len(entries) else count
        for i in range(first, min(end, count)):
            times[i] = ns / 1e6
    return times


_TIME_PATTERNS = (
    re.compile(r"(\d{4}-\d{2}-\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d+))?"),  # ISO, logging's asctime
    re.compile(r"(?<![\d:])()(\d{2}):(\d{2}):(\d{2})(?:[.,](\d+))?(?![\d])"),  # a bare clock time
)


def line_time_ms(line: str, day: str | None) -> float | None:
    """The first time written near a log line's start (its first 120 characters), in ms UTC, or None."""
    head = line[:120]
    for pattern in _TIME_PATTERNS:
        match = pattern.search(head)
        if match is None:
            continue
        date = match.group(1) or day
        if not date:
            return None
        try:
            stamp = datetime.strptime(f"{date} {match.group(2)}:{match.group(3)}:{match.group(4)}",
                                      "%Y-%m-%d %H:%M:%S").replace(tzinfo=timezone.utc)
        except ValueError:
            return None
        fraction = float(f"0.{match.group(5)}") if match.group(5) else 0.0
        return stamp.timestamp() * 1000 + fraction * 1000
    return None
