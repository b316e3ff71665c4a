"""WX_SPOT and WX_SUM estimated from Open-Meteo as of a moment: past points exactly, the rest from the
latest forecast issue, with the forecast's own error model (cmi_sim.world.forecast.error_sigma), its
errors correlated over lead like the forecast's (so a sum's error does not average away)."""

from __future__ import annotations

import math

import numpy as np

from cmi_sim.market.tide_estimate import Estimate
from cmi_sim.settlement import STEP_NS
from cmi_sim.world.forecast import ERROR_CORRELATION_NS, error_sigma, issue_time


class WeatherEstimator:
    def __init__(self, data, start_ns: int, end_ns: int) -> None:
        self.data = data
        self.points = np.arange(start_ns, end_ns + 1, STEP_NS, dtype=np.int64)
        steps = np.arange(len(self.points) - 1)
        rho = math.exp(-STEP_NS / ERROR_CORRELATION_NS)
        self._correlation = rho ** np.abs(steps[:, None] - steps[None, :])  # WX_SUM's 96 points
        self._cache: dict[tuple[int, int], tuple[Estimate, Estimate]] = {}

    def at(self, now_ns: int) -> tuple[Estimate, Estimate]:
        """(WX_SPOT, WX_SUM) estimates as of `now_ns`."""
        # The answer changes when a forecast is issued or a point passes into the past.
        key = (issue_time(now_ns), int(np.searchsorted(self.points, now_ns, side="right")))
        cached = self._cache.get(key)
        if cached is None:
            cached = self._cache[key] = self._estimate(now_ns)
        return cached

    def _estimate(self, now_ns: int) -> tuple[Estimate, Estimate]:
        points = self.points
        temperature = self.data.weather("temperature_2m", points, now_ns)
        humidity = self.data.weather("relative_humidity_2m", points, now_ns)
        fahrenheit = temperature * 9.0 / 5.0 + 32.0
        value = fahrenheit * humidity
        issue = issue_time(now_ns)
        future = points > now_ns
        sigma_t = np.array([error_sigma("temperature_2m", int(t) - issue) if f else 0.0 for t, f in zip(points, future)])
        sigma_rh = np.array([error_sigma("relative_humidity_2m", int(t) - issue) if f else 0.0 for t, f in zip(points, future)])
        sigma = np.hypot(9.0 / 5.0 * humidity * sigma_t, fahrenheit * sigma_rh)
        spot = (float(value[-1]), float(sigma[-1]))
        head = sigma[:-1]
        total = (float(value[:-1].sum()) / 100.0, math.sqrt(float(head @ self._correlation @ head)) / 100.0)
        return spot, total
