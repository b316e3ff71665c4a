"""UTC times of the sandbox's configuration and reports, as epoch nanoseconds.

The sandbox's own helper, so it needs nothing of the exchange; `format_utc_ns` writes the same
width as the exchange's timestamps (nine fractional digits and a `Z`).
"""

from __future__ import annotations

import datetime as dt
import time

__all__ = ["format_utc_ns", "parse_iso_ns"]


def parse_iso_ns(text: str) -> int:
    """Epoch nanoseconds of any ISO-8601 time (`2026-02-28T18:00Z`, `2026-02-28 18:00`); naive times
    are UTC. Raises ValueError. For times people type (a start time, `--until`)."""
    moment = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    delta = moment - dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000_000 + delta.microseconds * 1_000


def format_utc_ns(ns: int) -> str:
    """`1772288739048403030` -> `'2026-02-28T14:25:39.048403030Z'`."""
    seconds, fraction = divmod(ns, 1_000_000_000)
    return f"{time.strftime('%Y-%m-%dT%H:%M:%S', time.gmtime(seconds))}.{fraction:09d}Z"
