"""LHR_COUNT and LHR_INDEX estimated from the flights as listed at a moment: movements already made count
exactly; a flight still to move counts at its shown time (revised once known, else scheduled), less a
chance of cancellation, and one not yet revised may still slip by tens of minutes (across a half-hour
bin, or out of the window near its end)."""

from __future__ import annotations

import math

import numpy as np

from cmi_sim.market.gaussian import expected_abs
from cmi_sim.market.tide_estimate import Estimate
from cmi_sim.settlement import BIN_NS

CANCEL_CHANCE = 0.01  # of a flight still to move (London's day had none; live days have a few)
SLIP_CHANCE = 0.3  # that an unrevised flight's time moves it into a neighbouring half-hour bin
EDGE_NS = 30 * 60 * 1_000_000_000  # unrevised flights this close to the window's end may slip out


class FlightEstimator:
    def __init__(self, data, start_ns: int, end_ns: int) -> None:
        self.data = data
        self.start_ns = start_ns
        self.end_ns = end_ns
        self.bins = (end_ns - start_ns) // BIN_NS
        self._cache: dict[tuple[int, ...], tuple[Estimate, Estimate]] = {}

    def at(self, now_ns: int) -> tuple[Estimate, Estimate]:
        """(LHR_COUNT, LHR_INDEX) estimates as of `now_ns`."""
        view = self.data.flights(now_ns)
        # The list changes only when a flight moves, is revised or cancelled: compute once per state.
        key = (int(view.moved.sum()), int(view.revised.sum()), int(view.cancelled.sum()), int(view.expected_ns.sum()))
        cached = self._cache.get(key)
        if cached is None:
            cached = self._cache[key] = self._estimate(view)
        return cached

    def _estimate(self, view) -> tuple[Estimate, Estimate]:
        expected = view.expected_ns
        inside = ~view.cancelled & (expected >= self.start_ns) & (expected < self.end_ns)
        to_move = inside & ~view.moved
        weight = np.where(view.moved, 1.0, 1.0 - CANCEL_CHANCE)[inside]
        unrevised = to_move & ~view.revised
        near_end = unrevised & (expected >= self.end_ns - EDGE_NS)
        count = float(weight.sum())
        count_var = CANCEL_CHANCE * (1 - CANCEL_CHANCE) * int(to_move.sum()) + 0.25 * int(near_end.sum())

        index_bin = ((expected - self.start_ns) // BIN_NS)[inside]
        arrival = view.is_arrival[inside]
        slips = (SLIP_CHANCE * unrevised[inside] + CANCEL_CHANCE * to_move[inside]).astype(float)
        a = np.bincount(index_bin[arrival], weight[arrival], self.bins)
        d = np.bincount(index_bin[~arrival], weight[~arrival], self.bins)
        var_a = np.bincount(index_bin[arrival], slips[arrival], self.bins)
        var_d = np.bincount(index_bin[~arrival], slips[~arrival], self.bins)
        n = a + d
        safe = np.where(n > 0, n, 1.0)
        share = np.where(n > 0, (a - d) / safe, 0.0)
        share_var = np.where(n > 0, (4 * d * d * var_a + 4 * a * a * var_d) / safe**4, 0.0)
        total, total_sigma = float(share.sum()), math.sqrt(float(share_var.sum()))
        index = (100 * expected_abs(total, total_sigma), 100 * total_sigma)
        return (count, math.sqrt(count_var)), index
