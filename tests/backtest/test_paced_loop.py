"""The sandbox on a PacedLoop (what `cmi-sim run` uses): virtual time is a real clock scaled by the
speed, anchored where the parent said, so sleeps, timeouts and busy-waits take session time at that
speed in real time."""

from __future__ import annotations

import json
import time

import pytest

from cmi_sim.sandbox.utc import parse_iso_ns

PACED = "cmi_sim.live.paced_loop:PacedLoop"
START = "2026-02-28T14:30:00Z"


def test_sleeps_timeouts_and_busy_waits_run_at_the_speed_in_real_time(run_bot):
    speed = 60.0
    anchor = time.monotonic_ns()  # virtual 0 (START) is now: the child starts a few session seconds later
    result = run_bot("paced_clock.py", start=START, duration_s=3600, loop=PACED,
                     loop_args={"speed": speed, "anchor_monotonic_ns": anchor}, latency_ms=0.0, fast_path=False)
    assert result["status"] == "ok", result.stderr
    report = json.loads(result.lines()[-1])
    # The bot's clock is the anchored one: START plus the child's start-up time at 60x.
    assert parse_iso_ns(START) / 1e9 < report["start"] < parse_iso_ns(START) / 1e9 + 10 * speed
    for key, session_s in (("slept", 30), ("waited", 12), ("spun", 6)):
        virtual, real = report[key]
        assert virtual == pytest.approx(session_s, abs=1.0), key
        assert real == pytest.approx(session_s / speed, abs=0.25), key


def test_a_paced_loop_needs_a_positive_speed(run_bot):
    result = run_bot("paced_clock.py", loop=PACED, loop_args={"speed": 0, "anchor_monotonic_ns": 0})
    assert result["status"] == "runtime_error" and "speed must be positive" in result["traceback"]
