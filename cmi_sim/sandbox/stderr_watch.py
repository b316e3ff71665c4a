"""Counts the tracebacks a bot prints on stderr, in the child process.

Client libraries (the organisers' `bot_template`, `cmi_sim.client`) catch exceptions raised in a bot's
event handlers and print them, so the bot keeps running: the run looks healthy while its strategy fails
on every book. The only trace is the printed traceback, so that is what is counted. The wrapper costs a
substring search per write to stderr, nothing per exchange event.
"""

from __future__ import annotations

from typing import Any, TextIO

MARKER = "Traceback (most recent call last):"
_CHAINED = ("During handling of the above exception", "The above exception was the direct cause")
_KEEP_CHARS = 20_000  # the first traceback kept in full up to this size


class TracebackWatch:
    """Wraps the bot's `sys.stderr`: passes every write through and counts printed tracebacks
    (a chained exception counts once) and keeps the first in full."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self.count = 0
        self.first: str | None = None
        self._capturing: list[str] | None = None
        self._first_just_ended = False  # a chained exception's next part belongs to the first

    def write(self, text: str) -> int:
        written = self._stream.write(text)
        if self._capturing is not None or (isinstance(text, str) and (MARKER in text or "above exception" in text)):
            self._scan(text)
        return written

    def _scan(self, text: str) -> None:
        for line in text.splitlines(keepends=True):
            if line.startswith(MARKER):
                self._first_just_ended = False
                self.count += 1
                if self._capturing is None and self.first is None:
                    self._capturing = []
                if self._capturing is not None:
                    self._capturing.append(line)
                continue
            if any(phrase in line for phrase in _CHAINED):
                self.count -= 1  # the next marker continues the same exception
                if self._capturing is None and self._first_just_ended:
                    self._capturing = [self.first or "", "\n"]  # the first traceback goes on
                    self.first = None
                if self._capturing is not None:
                    self._capturing.append(line)
                continue
            if self._capturing is None:
                if line.strip():
                    self._first_just_ended = False
                continue
            self._capturing.append(line)
            if line.strip() and not line[0].isspace():  # the exception's own line ends the block
                self.first = "".join(self._capturing)[:_KEEP_CHARS]
                self._capturing = None
                self._first_just_ended = True

    def report(self) -> dict[str, Any]:
        first = self.first
        if first is None and self._capturing:
            first = "".join(self._capturing)[:_KEEP_CHARS]
        return {"count": max(self.count, 0), "first": first}

    def __getattr__(self, name: str) -> Any:  # flush, fileno, buffer, isatty, encoding ...
        return getattr(self._stream, name)
