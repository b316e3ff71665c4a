"""WX_SPOT and WX_SUM estimated from Open-Meteo as of a moment: past points exactly, the rest from the
forecasts issued so far.

Each forecast issue errs afresh, so the estimate pools the last `ISSUES` issues (each as published at
its own issue time), weighting each by the inverse of its error variance at that lead (the forecast's own
error model, cmi_sim.world.forecast.error_sigma): a recent issue counts most for the next hours, the
pool steadies tomorrow's points. Errors of one issue are correlated over lead, like the forecast's, so
WX_SUM's error does not average away over its 96 points.
"""

from __future__ import annotations

import math

import numpy as np

from cmi_sim.market.tide_estimate import Estimate
from cmi_sim.settlement import STEP_NS
from cmi_sim.world.forecast import ERROR_CORRELATION_NS, ISSUE_EVERY_NS, error_sigma, issue_time

ISSUES = 6
FLOOR_SIGMA = {"temperature_2m": 0.05, "relative_humidity_2m": 0.5}  # rounding and model error at lead 0
VARIABLES = ("temperature_2m", "relative_humidity_2m")


class WeatherEstimator:
    def __init__(self, data, start_ns: int, end_ns: int) -> None:
        self.data = data
        self.points = np.arange(start_ns, end_ns + 1, STEP_NS, dtype=np.int64)
        steps = np.arange(len(self.points) - 1)
        rho = math.exp(-STEP_NS / ERROR_CORRELATION_NS)
        self._correlation = rho ** np.abs(steps[:, None] - steps[None, :])  # WX_SUM's 96 points
        self._cache: dict[tuple[int, int], tuple[Estimate, Estimate]] = {}
        self._issued: dict[tuple[str, int], tuple[np.ndarray, np.ndarray]] = {}
        self._truth: dict[str, list[float]] = {}

    def at(self, now_ns: int) -> tuple[Estimate, Estimate]:
        """(WX_SPOT, WX_SUM) estimates as of `now_ns`."""
        # The answer changes when a forecast is issued or a point passes into the past.
        key = (issue_time(now_ns), int(np.searchsorted(self.points, now_ns, side="right")))
        cached = self._cache.get(key)
        if cached is None:
            cached = self._cache[key] = self._estimate(now_ns)
        return cached

    def _issue(self, variable: str, issue_ns: int) -> tuple[np.ndarray, np.ndarray]:
        """One issue's forecast of every point (as published at its issue time) and its error sigmas."""
        key = (variable, issue_ns)
        if key not in self._issued:
            values = self.data.weather(variable, self.points, issue_ns)
            sigmas = np.array([error_sigma(variable, int(t) - issue_ns) for t in self.points])
            self._issued[key] = (values, np.hypot(sigmas, FLOOR_SIGMA[variable]))
        return self._issued[key]

    def _observed(self, variable: str, count: int) -> np.ndarray:
        """The first `count` points as observed (each read as published at its own time), NaN beyond."""
        known = self._truth.setdefault(variable, [])
        while len(known) < count:
            t = self.points[len(known)]
            known.append(float(self.data.weather(variable, t[None], int(t))[0]))
        out = np.full(len(self.points), np.nan)
        out[:count] = known[:count]
        return out

    def _pooled(self, variable: str, now_ns: int) -> tuple[np.ndarray, np.ndarray]:
        latest = issue_time(now_ns)
        issues = [self._issue(variable, latest - k * ISSUE_EVERY_NS) for k in range(ISSUES)]
        weights = [1.0 / sigma**2 for _, sigma in issues]
        total = np.sum(weights, axis=0)
        forecast = np.nansum([w * values for w, (values, _) in zip(weights, issues, strict=True)], axis=0) / total
        past = self.points <= now_ns
        values = np.where(past, self._observed(variable, int(past.sum())), forecast)
        sigma = np.where(past, 0.0, 1.0 / np.sqrt(total))
        return values, sigma

    def _estimate(self, now_ns: int) -> tuple[Estimate, Estimate]:
        temperature, sigma_t = self._pooled("temperature_2m", now_ns)
        humidity, sigma_rh = self._pooled("relative_humidity_2m", now_ns)
        fahrenheit = temperature * 9.0 / 5.0 + 32.0
        value = fahrenheit * humidity
        sigma = np.hypot(9.0 / 5.0 * humidity * sigma_t, fahrenheit * sigma_rh)
        spot = (float(value[-1]), float(sigma[-1]))
        head = sigma[:-1]
        total = (float(value[:-1].sum()) / 100.0, math.sqrt(float(head @ self._correlation @ head)) / 100.0)
        return spot, total
