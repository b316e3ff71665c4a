"""TIDE_SPOT and TIDE_SWING estimated from the tide readings published so far.

A harmonic model (cmi_sim.world.tide_model) is fitted to the last day of published readings and
forecasts the rest of the window, plus the recent residual (a surge) fading over half a day; readings
already published enter exactly. (A day's fit forecasts better than five days': the longer record still
cannot separate S2 from M2 and only shrinks it away.) The forecast's error grows
with its lead over the last reading (surge and model error): `LEVEL_SIGMA_*` for a level, `SWING_SIGMA_*`
for a 15-minute change, whose errors mostly cancel. TIDE_SPOT is E|level| under that error, TIDE_SWING
the sum of each pair's expected strangle (Gauss-Hermite).
"""

from __future__ import annotations

import math

import numpy as np

from cmi_sim.market.gaussian import expected_abs, expected_of
from cmi_sim.settlement import STEP_NS
from cmi_sim.world.tide_model import fit_harmonic_tide
from cmi_sim.world.times import HOUR_NS

FIT_READINGS = 100  # 25 hours
MIN_READINGS = 17  # a fit of eight constituents needs 2 * 8 + 1
RESIDUAL_READINGS = 8  # the surge: the mean misfit of the last two hours
RESIDUAL_FADE_H = 12.0
# Level error a + b * sqrt(lead hours), metres: the fit's error on synthetic days (16 seeds) was 0.10 m
# at 30 min, 0.16 m at 2 h, 0.2 m at 6-12 h and 0.26 m a day ahead.
LEVEL_SIGMA_M = (0.06, 0.045)
SWING_SIGMA_CM = (0.5, 0.6)  # 15-minute change error: a + b * sqrt(lead hours), centimetres
Estimate = tuple[float, float]  # (mean, standard deviation) in price units


def _strangle(d_cm: np.ndarray) -> np.ndarray:
    d = np.abs(d_cm)
    return np.maximum(0.0, 20.0 - d) + np.maximum(0.0, d - 25.0)


class TideEstimator:
    def __init__(self, data, start_ns: int, end_ns: int) -> None:
        self.data = data
        self.points = np.arange(start_ns, end_ns + 1, STEP_NS, dtype=np.int64)
        self._cache: dict[int, tuple[Estimate, Estimate]] = {}

    def at(self, now_ns: int) -> tuple[Estimate, Estimate]:
        """(TIDE_SPOT, TIDE_SWING) estimates from the readings published by `now_ns`."""
        times, levels = self.data.tide_readings(now_ns)
        key = len(times)  # the estimate changes only when a reading is published
        cached = self._cache.get(key)
        if cached is None:
            cached = self._cache[key] = self._estimate(times, levels)
        return cached

    def _estimate(self, times: np.ndarray, levels: np.ndarray) -> tuple[Estimate, Estimate]:
        times, levels = times[-FIT_READINGS:], levels[-FIT_READINGS:]
        points = self.points
        last = int(times[-1]) if len(times) else int(points[0]) - 24 * HOUR_NS
        known = np.searchsorted(times, points)
        observed = (known < len(times)) & (times[np.minimum(known, len(times) - 1)] == points)
        values = np.where(observed, levels[np.minimum(known, len(times) - 1)], 0.0)
        if not observed.all() and len(times) < MIN_READINGS:  # too few to fit: the last reading, or mean sea level
            values = np.where(observed, values, float(levels[-1]) if len(times) else 0.0)
        elif not observed.all():
            model = fit_harmonic_tide(times, levels)
            surge = float(np.mean(levels[-RESIDUAL_READINGS:] - model.level(times[-RESIDUAL_READINGS:])))
            fade = np.exp(-np.maximum(0, points - last) / HOUR_NS / RESIDUAL_FADE_H)
            values = np.where(observed, values, model.level(points) + surge * fade)
        root_lead_h = np.sqrt(np.maximum(0, points - last) / HOUR_NS)
        level_sigma = np.where(observed, 0.0, LEVEL_SIGMA_M[0] + LEVEL_SIGMA_M[1] * root_lead_h)
        spot = (1000 * expected_abs(float(values[-1]), float(level_sigma[-1])), 1000 * float(level_sigma[-1]))

        change = np.round((values[1:] - values[:-1]) * 100.0, 9)
        pair_known = observed[1:] & observed[:-1]
        change_sigma = np.where(pair_known, 0.0, SWING_SIGMA_CM[0] + SWING_SIGMA_CM[1] * root_lead_h[1:])
        mean, variance = expected_of(_strangle, change, change_sigma)
        mean = np.where(pair_known, _strangle(change), mean)
        variance = np.where(pair_known, 0.0, variance)
        swing = (float(mean.sum()), math.sqrt(float(variance.sum())))
        return spot, swing
