"""Events as JSON lines (the run directory's `events.jsonl`), encoded fast and byte-identical to
`json.dumps(event_record(event), separators=(",", ":"))`.

A backtest writes every exchange event (hundreds of thousands a session): building a dict per event and
running it through the JSON encoder cost about 2 s of a 24-hour run. The kinds of event that the engine
only emits after validating them (accepted orders, fills, cancels, reductions) hold integers and strings
only, so each gets a %-template; their strings (owners, products, reasons) repeat, so their JSON forms
are cached. Everything else (rejections, which carry the raw values that were refused; settlement; tape
prints) takes the generic path.
"""

from __future__ import annotations

import json
import typing
from collections.abc import Callable, Iterable, Iterator

from cmi_sim.engine import EVENT_TYPES, Event, Fill, OrderAccepted, OrderCancelled, OrderReduced, Settled, event_record

_TEMPLATED = (OrderAccepted, Fill, OrderCancelled, OrderReduced)
_STRING_CACHE_LIMIT = 10_000  # distinct strings kept; a session has a few dozen


class EventLineEncoder:
    """`encoder(event)` -> one line of JSON (without the newline)."""

    def __init__(self) -> None:
        self._generic = json.JSONEncoder(separators=(",", ":")).encode
        self._strings: dict[str, str] = {}
        self._encoders: dict[type, Callable[[tuple], str]] = {cls: self._templated(cls) for cls in _TEMPLATED}

    def __call__(self, event: tuple) -> str:
        encode = self._encoders.get(type(event))
        if encode is not None:
            try:
                return encode(event)
            except TypeError:  # a field of an unexpected type: let the JSON encoder decide
                pass
        return self._generic(event_record(event))

    def lines(self, events: Iterable[tuple]) -> Iterator[str]:
        """Each event's line, newline included."""
        for event in events:
            yield self(event) + "\n"

    def _templated(self, cls: type) -> Callable[[tuple], str]:
        fields = cls._fields
        string_fields = {name for name, kind in typing.get_type_hints(cls).items() if kind is str}
        template = "{" + ",".join([f'"type":"{cls.__name__}"'] + [
            f'"{name}":%s' if name in string_fields else f'"{name}":%d' for name in fields]) + "}"
        positions = [i for i, name in enumerate(fields) if name in string_fields]
        quoted, quote = self._strings, self._quote

        def encode(event: tuple) -> str:
            values = list(event)
            for i in positions:
                values[i] = quoted.get(values[i]) or quote(values[i])
            return template % tuple(values)

        return encode

    def _quote(self, text: str) -> str:
        quoted = self._strings.get(text)
        if quoted is None:
            quoted = json.dumps(text)
            if len(self._strings) < _STRING_CACHE_LIMIT:
                self._strings[text] = quoted
        return quoted


def decode_event(line: str | bytes) -> Event:
    """The event of one line (the inverse of `EventLineEncoder`); ValueError for anything else."""
    record = json.loads(line)
    if not isinstance(record, dict):
        raise ValueError("an event line must be a JSON object")
    cls = EVENT_TYPES.get(record.pop("type", None))
    if cls is None or set(record) != set(cls._fields):
        raise ValueError(f"not an event line: {str(line)[:80]}")
    if cls is Settled:
        record["prices"] = tuple((symbol, value) for symbol, value in record["prices"])
    return cls(**record)
