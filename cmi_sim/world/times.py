"""Integer-nanosecond UTC timestamps and the few text formats the data APIs use."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

NS = 1_000_000_000
MINUTE_NS = 60 * NS
HOUR_NS = 60 * MINUTE_NS
DAY_NS = 24 * HOUR_NS
STEP_NS = 15 * MINUTE_NS  # the tide and weather grid


def to_datetime(t_ns: int, tz: ZoneInfo | None = None) -> datetime:
    """Exact (integer) conversion; microseconds are enough for every format used here."""
    dt = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=t_ns // 1000)
    return dt.astimezone(tz) if tz is not None else dt


def from_datetime(dt: datetime) -> int:
    if dt.tzinfo is None:
        raise ValueError(f"naive datetime {dt.isoformat()} (timezone required)")
    delta = dt.astimezone(UTC) - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * NS + delta.microseconds * 1000


def parse_utc(text: str) -> int:
    """ISO 8601 with `Z` or an offset (`2026-02-28T12:00:00Z`, `2026-02-28 11:35Z`)."""
    dt = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    return from_datetime(dt)


def iso_z(t_ns: int) -> str:
    """`2026-02-28T12:00:00Z` (Environment Agency style)."""
    return to_datetime(t_ns).strftime("%Y-%m-%dT%H:%M:%SZ")


def floor_to(t_ns: int, step_ns: int) -> int:
    return t_ns - t_ns % step_ns


def ceil_to(t_ns: int, step_ns: int) -> int:
    return -((-t_ns) // step_ns) * step_ns
