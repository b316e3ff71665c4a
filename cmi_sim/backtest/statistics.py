"""Statistics of a run's mark-to-market PnL curve (pure functions over `(ts_ns, equity)` points).

The curve is a step function: the value holds until the next point. Returns are the changes of PnL
(money, not percentages: a bot has no capital base here) over fixed steps of `STEP` (one minute).
Sharpe and Sortino are those changes' mean over their standard deviation (Sortino: over the downside
deviation, the root mean square of the negative changes), scaled to the run's length by the square root
of the number of steps: the ratio of the run's PnL to its noise, comparable between runs of one length.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

STEP_NS = 60_000_000_000
STEP = "1min"


def sampled(points: Sequence[tuple[int, float]], start_ns: int, end_ns: int, step_ns: int = STEP_NS) -> list[float]:
    """The curve's value at start, start+step, ... up to end (0 before the first point)."""
    values = []
    index, value = 0, 0.0
    t = start_ns
    while t <= end_ns:
        while index < len(points) and points[index][0] <= t:
            value = points[index][1]
            index += 1
        values.append(value)
        t += step_ns
    if values and (end_ns - start_ns) % step_ns:  # the last partial step ends at end_ns
        while index < len(points) and points[index][0] <= end_ns:
            value = points[index][1]
            index += 1
        values.append(value)
    return values


def ratios(values: Sequence[float]) -> tuple[float | None, float | None]:
    """(Sharpe, Sortino) of the step changes; None where undefined (no changes, or no variation)."""
    changes = [b - a for a, b in zip(values, values[1:])]
    n = len(changes)
    if n < 2:
        return None, None
    mean = sum(changes) / n
    variance = sum((c - mean) ** 2 for c in changes) / (n - 1)
    downside = math.sqrt(sum(min(c, 0.0) ** 2 for c in changes) / n)
    scale = math.sqrt(n)
    sharpe = mean / math.sqrt(variance) * scale if variance > 0 else None
    sortino = mean / downside * scale if downside > 0 else None
    return sharpe, sortino


def drawdown(points: Sequence[tuple[int, float]], end_ns: int) -> tuple[float, float]:
    """(the largest fall from a peak, the longest time in seconds spent below an earlier peak). The curve
    starts at 0 (no position, no PnL) and holds its last value until `end_ns`."""
    peak, peak_ts = 0.0, None
    deepest, longest_ns = 0.0, 0
    for ts, value in points:
        if value >= peak:
            if peak_ts is not None:
                longest_ns = max(longest_ns, ts - peak_ts)
            peak, peak_ts = value, None
        else:
            if peak_ts is None:
                peak_ts = ts
            deepest = max(deepest, peak - value)
    if peak_ts is not None:
        longest_ns = max(longest_ns, end_ns - peak_ts)
    return deepest, longest_ns / 1e9


def curve_statistics(points: Sequence[tuple[int, float]], start_ns: int, end_ns: int) -> dict[str, float | None | str]:
    values = sampled(points, start_ns, end_ns)
    sharpe, sortino = ratios(values)
    deepest, duration_s = drawdown(points, end_ns)
    return {"sharpe": _round(sharpe), "sortino": _round(sortino), "frequency": STEP,
            "max_drawdown": round(deepest, 6), "max_drawdown_duration_s": round(duration_s, 3)}


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 6)
