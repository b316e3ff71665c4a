"""The live driver: a scaled session clock and the asyncio loop that wakes the market."""

from __future__ import annotations

import asyncio

import pytest

from cmi_sim.market.live import SessionClock, drive_market

START = 1_772_289_000 * 10**9


class FakeWall:
    """A wall clock that only moves when told to."""

    def __init__(self) -> None:
        self.ns = 5_000

    def __call__(self) -> int:
        return self.ns


def test_clock_starts_at_start_and_runs_at_speed():
    wall = FakeWall()
    clock = SessionClock(START, speed=60, wall=wall)
    assert clock() == START
    wall.ns += 10**9
    assert clock() == START + 60 * 10**9
    assert clock.wall_seconds_until(START + 120 * 10**9) == pytest.approx(1.0)
    assert clock.wall_seconds_until(START) == 0.0


def test_clock_refuses_a_speed_that_is_not_positive():
    with pytest.raises(ValueError):
        SessionClock(START, speed=0)


def test_driver_wakes_the_market_when_asked_until_it_is_done():
    clock = SessionClock(START, speed=10_000)  # 10 s of session per wall millisecond
    calls: list[int] = []

    def step(now: int) -> int | None:
        calls.append(now)
        return None if len(calls) == 5 else now + 5 * 10**9

    asyncio.run(asyncio.wait_for(drive_market(step, clock), timeout=5))
    assert len(calls) == 5
    assert calls == sorted(calls)
    assert all(later - earlier >= 5 * 10**9 for earlier, later in zip(calls, calls[1:]))
