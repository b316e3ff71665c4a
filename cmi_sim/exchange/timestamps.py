"""The exchange's timestamp format: ISO-8601 UTC with exactly nine fractional digits and a `Z`.

Clients compare these as strings, so the width never varies.
"""

from __future__ import annotations

import calendar
import functools
import re
import time
from datetime import datetime

_PATTERN = re.compile(r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?Z$")


def format_timestamp(ns: int) -> str:
    """`1772288739048403030` -> `'2026-02-28T14:25:39.048403030Z'`."""
    seconds, fraction = divmod(ns, 1_000_000_000)
    return f"{_whole_second(seconds)}.{fraction:09d}Z"


@functools.lru_cache(maxsize=4096)
def _whole_second(seconds: int) -> str:
    # strftime is most of the cost, and a busy exchange stamps many things within the same second.
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))


def parse_timestamp(text: str) -> int:
    """The inverse of `format_timestamp`; also accepts fewer fractional digits. Raises ValueError."""
    match = _PATTERN.match(text)
    if match is None:
        raise ValueError(f"not an ISO-8601 UTC timestamp like 2026-02-28T14:25:39.048403030Z: {text!r}")
    year, month, day, hour, minute, second, fraction = match.groups()
    fields = (int(year), int(month), int(day), int(hour), int(minute), int(second))
    try:
        datetime(*fields)  # timegm alone rolls impossible dates over (Feb 30 -> Mar 2)
    except ValueError as error:
        raise ValueError(f"not a valid date and time: {text!r} ({error})") from None
    seconds = calendar.timegm(fields)
    return seconds * 1_000_000_000 + int((fraction or "0").ljust(9, "0"))

