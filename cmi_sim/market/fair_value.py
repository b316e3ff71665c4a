"""The market's fair value of one product: a seeded Brownian bridge from a prior to the settlement value.

The path is drawn once, on a fixed one-minute grid from trading open to settlement, so the fair value at a
moment depends only on the seed and that moment, never on when or how often anyone asks. Between grid
points it is interpolated in integer ticks. A bridge's spread around its straight line is largest at
mid-session and shrinks to nothing at settlement, which is the "uncertain early, known at the end" shape
of the real products as tide, weather and flight data arrive.
"""

from __future__ import annotations

import math
import random

from cmi_sim.market.randomness import normal

GRID_NS = 60 * 1_000_000_000


def prior_ticks(starting_price: int, settlement_ticks: int, prior_error_bps: int, rng: random.Random) -> int:
    """Where the fair value starts: the session's starting price (set near the first live prices) when it is
    a plausible guess, otherwise the settlement value blurred by `prior_error_bps`."""
    target = max(settlement_ticks, 1)
    if target / 4 <= starting_price <= target * 4:
        return starting_price
    return max(1, round(target * (1 + normal(rng) * prior_error_bps / 10_000)))


class FairValuePath:
    """Fair value in ticks over [start_ns, end_ns]; exactly `settlement_ticks` from `end_ns` on."""

    def __init__(self, start_ns: int, end_ns: int, prior: int, settlement_ticks: int, volatility_bps: int,
                 rng: random.Random) -> None:
        if end_ns <= start_ns:
            raise ValueError("the fair value's window must not be empty")
        self.start_ns = start_ns
        self.end_ns = end_ns
        self.settlement = settlement_ticks
        steps = -(-(end_ns - start_ns) // GRID_NS)
        # Scale so that the bridge's standard deviation at mid-session is volatility_bps of the settlement.
        sigma = 2 * volatility_bps / 10_000 * max(abs(settlement_ticks), 1) / math.sqrt(steps)
        x = float(prior)
        points = [prior]
        for k in range(steps):
            left = steps - k  # steps still to go, including this one
            x += (settlement_ticks - x) / left + sigma * math.sqrt((left - 1) / left) * normal(rng)
            points.append(max(1, round(x)))
        points[-1] = max(1, settlement_ticks)
        self._points = points

    def at(self, ts: int) -> int:
        """The fair value in ticks at `ts` (always >= 1). O(1)."""
        if ts <= self.start_ns:
            return self._points[0]
        if ts >= self.end_ns:
            return self._points[-1]
        index, into = divmod(ts - self.start_ns, GRID_NS)
        a = self._points[index]
        b = self._points[index + 1]
        return a + (b - a) * into // GRID_NS

    def uncertainty(self, ts: int) -> float:
        """The share of the window still to come, (end - t) / (end - start): 1 at the start, 0 at the end."""
        if ts >= self.end_ns:
            return 0.0
        return min(1.0, (self.end_ns - ts) / (self.end_ns - self.start_ns))
