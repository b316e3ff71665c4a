"""Virtual instants as text: UTC ISO-8601 with nanoseconds, and the parse of times people type.

The sandbox's own (it knows nothing of the exchange); the same text as `cmi_sim.exchange.timestamps`
(tests/unit/test_sandbox_layers.py compares them).
"""

from __future__ import annotations

import datetime as dt
import time

__all__ = ["format_ns", "parse_iso_ns"]


def format_ns(ns: int) -> str:
    """`1772288739048403030` -> `'2026-02-28T14:25:39.048403030Z'`."""
    seconds, fraction = divmod(ns, 1_000_000_000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{fraction:09d}Z"


def parse_iso_ns(text: str) -> int:
    """Epoch nanoseconds of any ISO-8601 time (`2026-02-28T18:00Z`, `2026-02-28 18:00`); naive times
    are UTC. Raises ValueError."""
    moment = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    delta = moment - dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000_000 + delta.microseconds * 1_000
