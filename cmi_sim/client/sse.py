"""A small Server-Sent-Events parser, so cmi-sim depends on neither SSE library.

``sseclient-py`` and ``sseclient`` 0.0.27 both install a module named ``sseclient``; whichever
cmi-sim depended on would shadow the one a user's bot needs. The client and the recorder parse the
stream here instead, with the behaviour both libraries share on the exchange's bytes (tested
against each in tests/unit/test_client_sse.py):

- events end at a blank line; lines end with ``\\n``, ``\\r\\n`` or ``\\r`` (also split across chunks);
- ``data`` lines join with ``\\n``; one leading space of a value is dropped; ``:`` lines are comments;
- events without data are not dispatched; the event name defaults to ``message``;
- ``id`` and ``retry`` are kept on the event (``retry`` as an int, ``None`` if not a number).
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

__all__ = ["Event", "iter_events"]


@dataclass(frozen=True)
class Event:
    event: str
    data: str
    id: str | None = None
    retry: int | None = None


def iter_events(chunks: Iterable[bytes], encoding: str = "utf-8") -> Iterator[Event]:
    """Events from an iterable of byte chunks (``response.iter_content(None)``, ``response.raw``).

    An event cut off by the end of the stream is not dispatched (the SSE specification's rule)."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    pending = ""  # text after the last complete line
    fields = _Fields()
    for chunk in chunks:
        if not chunk:
            continue
        pending += decoder.decode(chunk)
        lines, pending = _complete_lines(pending)
        for line in lines:
            event = fields.feed(line)
            if event is not None:
                yield event


_LINE_END = re.compile(r"\r\n|\r|\n")


def _complete_lines(text: str) -> tuple[list[str], str]:
    """Split off the complete lines; a trailing ``\\r`` waits (its ``\\n`` may be in the next chunk)."""
    end = len(text) - 1 if text.endswith("\r") else len(text)
    cut = max(text.rfind("\n", 0, end), text.rfind("\r", 0, end))
    if cut < 0:
        return [], text
    return _LINE_END.split(text[: cut + 1])[:-1], text[cut + 1 :]


class _Fields:
    """The fields of the event being read."""

    def __init__(self) -> None:
        self._reset()
        self.last_id: str | None = None

    def _reset(self) -> None:
        self.name = ""
        self.data: list[str] = []
        self.id: str | None = None
        self.retry: int | None = None

    def feed(self, line: str) -> Event | None:
        if line == "":
            return self._dispatch()
        if line.startswith(":"):
            return None
        name, sep, value = line.partition(":")
        if sep and value.startswith(" "):
            value = value[1:]
        if name == "data":
            self.data.append(value)
        elif name == "event":
            self.name = value
        elif name == "id":
            self.id = value
        elif name == "retry":
            self.retry = int(value) if value.isdigit() else None
        return None

    def _dispatch(self) -> Event | None:
        event = None
        if self.data:
            event = Event(self.name or "message", "\n".join(self.data), self.id, self.retry)
        self._reset()
        return event
