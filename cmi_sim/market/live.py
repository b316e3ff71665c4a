"""Driving a market live (`cmi-sim serve --session`): a scaled session clock and an asyncio driver.

The driver is the only part of the market that knows about wall time or asyncio. It runs on the server's
event loop, so each `step` is serialised with the API's requests (one writer), and the market itself
stays a pure function of its calls.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

NS = 1_000_000_000


class SessionClock:
    """Session time that starts at `start_ns` and runs `speed` times as fast as the wall clock
    (speed 60: one session minute per wall second). Callable: returns UTC ns, never going backwards."""

    def __init__(self, start_ns: int, speed: float = 1.0, wall: Callable[[], int] = time.monotonic_ns) -> None:
        if not speed > 0:
            raise ValueError(f"speed must be positive, got {speed}")
        self.start_ns = start_ns
        self.speed = speed
        self._wall = wall
        self._wall_start = wall()

    def __call__(self) -> int:
        return self.start_ns + int((self._wall() - self._wall_start) * self.speed)

    def wall_seconds_until(self, ts: int) -> float:
        """Wall seconds until the session clock reads `ts` (0 if it already has)."""
        return max(0.0, (ts - self()) / self.speed / NS)


async def drive_market(step: Callable[[int], int | None], clock: SessionClock, max_sleep_s: float = 0.5) -> None:
    """Call `step(clock())` whenever the market asked to be woken, until it returns None.

    Sleeps are capped at `max_sleep_s` so a long wait (before the open) still re-reads the clock often.
    A market that fell behind catches up in one step (its agents act once, at the current time).
    """
    while True:
        wake = step(clock())
        if wake is None:
            return
        await asyncio.sleep(min(clock.wall_seconds_until(wake), max_sleep_s))
