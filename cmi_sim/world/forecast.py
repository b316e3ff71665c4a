"""Deterministic weather forecasts: truth plus an error that grows with lead time.

A forecast is issued every hour (`ISSUE_EVERY_NS`), like a model run; all requests between two issues
see the same forecast. The error for (issue time, variable) is a smooth AR(1) path over lead steps,
seeded from (world seed, issue time, variable), scaled by a standard deviation that is ~0 at lead 0
and approaches `sigma_max` over `tau`: forecasts for the next hour are nearly right, for tomorrow off
by a degree or two. The error path depends only on its seed, not on how much was requested.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from numpy.random import PCG64, Generator

from cmi_sim.world.series import WEATHER_VARIABLES, WeatherSeries
from cmi_sim.world.times import HOUR_NS, STEP_NS, floor_to

ISSUE_EVERY_NS = HOUR_NS
MAX_LEAD_STEPS = 16 * 24 * 4  # 16 days of 15-minute steps
ERROR_CORRELATION_NS = 6 * HOUR_NS  # the AR(1) error path's correlation time over lead

# variable: (sigma_max, tau hours, lower bound, upper bound)
_ERROR: dict[str, tuple[float, float, float, float]] = {
    "temperature_2m": (2.5, 36.0, -60.0, 60.0),
    "relative_humidity_2m": (12.0, 36.0, 0.0, 100.0),
    "apparent_temperature": (3.0, 36.0, -70.0, 60.0),
    "precipitation": (0.3, 24.0, 0.0, 100.0),
    "wind_speed_10m": (6.0, 36.0, 0.0, 200.0),
    "cloud_cover": (30.0, 24.0, 0.0, 100.0),
    "visibility": (8000.0, 24.0, 0.0, 100000.0),
}
_VARIABLE_INDEX = {name: i for i, name in enumerate(WEATHER_VARIABLES)}


def issue_time(now_ns: int) -> int:
    return floor_to(now_ns, ISSUE_EVERY_NS)


@lru_cache(maxsize=256)
def _error_path(seed: int, issue_ns: int, variable: str) -> np.ndarray:
    """Unit-variance smooth noise over lead steps 0..MAX_LEAD_STEPS, times the lead-dependent sigma."""
    rng = Generator(PCG64([_VARIABLE_INDEX[variable], issue_ns & 0xFFFFFFFFFFFFFFFF, seed & 0xFFFFFFFFFFFFFFFF]))
    rho = float(np.exp(-STEP_NS / ERROR_CORRELATION_NS))
    shocks = rng.standard_normal(MAX_LEAD_STEPS + 1) * np.sqrt(1 - rho**2)
    z = np.empty(MAX_LEAD_STEPS + 1)
    z[0] = rng.standard_normal()
    for i in range(1, len(z)):
        z[i] = rho * z[i - 1] + shocks[i]
    sigma_max, tau, _, _ = _ERROR[variable]
    lead_hours = np.arange(MAX_LEAD_STEPS + 1) * STEP_NS / HOUR_NS
    out = sigma_max * (1 - np.exp(-lead_hours / tau)) * z
    out.flags.writeable = False
    return out


def error_sigma(variable: str, lead_ns: int) -> float:
    """The standard deviation of the forecast error at `lead_ns` after the issue (a model, public so that
    estimators can weigh a forecast without seeing its error)."""
    sigma_max, tau, _, _ = _ERROR[variable]
    return sigma_max * (1 - float(np.exp(-max(0, lead_ns) / HOUR_NS / tau)))


def value_as_of(weather: WeatherSeries, variable: str, target_ns: int, now_ns: int, seed: int) -> float | None:
    """What Open-Meteo would have said at `now_ns` about `target_ns`: the truth if the point is past,
    else the forecast of the latest issue. None outside the world's coverage."""
    truth = weather.value(variable, target_ns)
    if truth is None or target_ns <= now_ns:
        return truth
    issue = issue_time(now_ns)
    lead = (target_ns - issue) // STEP_NS
    if lead > MAX_LEAD_STEPS:
        return None
    _, _, lo, hi = _ERROR[variable]
    decimals = WEATHER_VARIABLES[variable][1]
    value = min(hi, max(lo, truth + float(_error_path(seed, issue, variable)[lead])))
    return float(round(value, decimals))
