"""The equity plot draws a decimated curve that keeps what a step plot at its width shows."""

from __future__ import annotations

import random

import pandas as pd

from cmi_sim.backtest.report import _decimate


def curve(n: int, seed: int = 5) -> pd.DataFrame:
    rng = random.Random(seed)
    ts, value, rows = 1_000, 0.0, []
    for _ in range(n):
        ts += rng.randint(1, 10_000)
        value += rng.gauss(0, 10)
        rows.append((ts, value))
    return pd.DataFrame(rows, columns=["ts", "equity"])


def test_short_curves_are_drawn_whole():
    equity = curve(400)
    assert _decimate(equity, buckets=100) is equity


def test_each_time_slice_keeps_its_first_last_lowest_and_highest_point():
    equity = curve(20_000)
    shown = _decimate(equity, buckets=100)
    assert len(shown) <= 4 * 100 and shown["ts"].is_monotonic_increasing
    assert shown.iloc[0].equals(equity.iloc[0]) and shown.iloc[-1].equals(equity.iloc[-1])
    span = equity["ts"].iloc[-1] - equity["ts"].iloc[0]
    for frame in (equity, shown):
        frame["slice"] = (frame["ts"] - equity["ts"].iloc[0]) * 100 // span
    full, kept = equity.groupby("slice")["equity"], shown.groupby("slice")["equity"]
    assert (kept.min() == full.min()).all() and (kept.max() == full.max()).all()
    assert (kept.first() == full.first()).all() and (kept.last() == full.last()).all()
