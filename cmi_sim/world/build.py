"""Assembling a World: from observed data (gaps filled by labelled models) or from the generators.

A world covers more than the settlement window because bots look around it: the Environment Agency
serves days of history (`_limit=500` is about 5 days) and Open-Meteo serves past points and a forecast
of up to days ahead. Every stretch not read from a file is labelled `modelled` in `World.coverage`.
"""

from __future__ import annotations

import numpy as np

from cmi_sim.world.files import DataFileError
from cmi_sim.world.series import Coverage, Flight, FlightList, TideSeries, WeatherSeries, World, runs
from cmi_sim.world.synthetic import (
    round_weather,
    synthetic_flights,
    synthetic_tide,
    synthetic_weather,
    weather_extras,
)
from cmi_sim.world.tide_model import fit_harmonic_tide
from cmi_sim.world.times import DAY_NS, HOUR_NS, STEP_NS, iso_z

TIDE_HISTORY_NS = 6 * DAY_NS
WEATHER_HISTORY_NS = 3 * DAY_NS
WEATHER_AHEAD_NS = 8 * DAY_NS  # Open-Meteo's default 7 forecast days from today's midnight, and some
FLIGHTS_MARGIN_NS = DAY_NS
_BLEND_NS = 6 * HOUR_NS  # how fast a weather analogue relaxes away from the nearest real point


def _grid(first_ns: int, last_ns: int) -> np.ndarray:
    return first_ns + np.arange((last_ns - first_ns) // STEP_NS + 1, dtype=np.int64) * STEP_NS


def _check_on_grid(times: list[int], start_ns: int, source: str) -> None:
    for t in times:
        if (t - start_ns) % STEP_NS:
            raise DataFileError(f"{source}: time_utc {iso_z(t)} is not on the 15-minute grid of the window")


def tide_from_readings(readings: dict[int, float], start_ns: int, end_ns: int, source: str = "tide") -> tuple[TideSeries, list[Coverage]]:
    """Real readings where present; every other grid point from a harmonic fit to them (3 decimals)."""
    _check_on_grid(list(readings), start_ns, source)
    grid = _grid(start_ns - TIDE_HISTORY_NS, end_ns)
    real = [int(t) in readings for t in grid]
    if all(real):
        levels = [readings[int(t)] for t in grid]
    else:
        times = np.array(sorted(readings), dtype=np.int64)
        model = fit_harmonic_tide(times, np.array([readings[int(t)] for t in times]))
        fitted = np.round(model.level(grid), 3)
        levels = [readings[int(t)] if r else float(f) for t, r, f in zip(grid, real, fitted, strict=True)]
    span = f"{len(readings)} readings"
    coverage = [
        Coverage("tide", a, b, "real" if flag else "modelled", "readings" if flag else f"harmonic fit (M2, S2, N2, K1, O1, M4, M6, M8) to {span}")
        for a, b, flag in runs(real, int(grid[0]), STEP_NS)
    ]
    return TideSeries(int(grid[0]), tuple(float(v) for v in levels)), coverage


def _analogue(grid: np.ndarray, real: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Fill gaps with the real value a whole number of days away, relaxed towards the nearest real
    point so the series stays continuous where data stops."""
    idx = np.flatnonzero(real)
    first, last = int(idx[0]), int(idx[-1])
    per_day = DAY_NS // STEP_NS
    if last - first + 1 < per_day:
        raise DataFileError("weather: need at least 24 hours of points to fill the rest of the world")
    out = values.copy()
    for i in np.flatnonzero(~real):
        j = first + (i - first) % per_day  # same time of day inside the real stretch
        while not real[j]:
            j += 1
        out[i] = values[j]
    for i in np.flatnonzero(~real):
        b = first if i < first else last if i > last else None
        if b is None:
            continue  # interior gaps keep the analogue
        neighbour = b - 1 if i < first else b + 1
        offset = values[b] - out[neighbour]
        out[i] += offset * np.exp(-abs(i - b) * STEP_NS / _BLEND_NS)
    return out


def weather_from_points(points: dict[int, tuple[float, float]], start_ns: int, end_ns: int, seed: int, source: str = "weather") -> tuple[WeatherSeries, list[Coverage]]:
    _check_on_grid(list(points), start_ns, source)
    grid = _grid(start_ns - WEATHER_HISTORY_NS, end_ns + WEATHER_AHEAD_NS)
    real = np.array([int(t) in points for t in grid])
    temp = np.array([points.get(int(t), (np.nan, np.nan))[0] for t in grid])
    rh = np.array([points.get(int(t), (np.nan, np.nan))[1] for t in grid])
    temp = np.round(_analogue(grid, real, temp), 1)
    rh = np.clip(np.round(_analogue(grid, real, rh)), 0, 100)
    values = {"temperature_2m": temp, "relative_humidity_2m": rh, **weather_extras(seed, grid, temp, rh)}
    coverage = [
        Coverage(
            "weather", a, b, "real" if flag else "modelled",
            "temperature and humidity" if flag else "temperature and humidity: daily analogue of the real points",
        )
        for a, b, flag in runs(list(real), int(grid[0]), STEP_NS)
    ]
    coverage.append(Coverage("weather", int(grid[0]), int(grid[-1]), "modelled", "apparent temperature, precipitation, wind, cloud, visibility (seeded)"))
    return WeatherSeries(int(grid[0]), round_weather(values)), coverage


def flights_coverage(flights: tuple[Flight, ...], note: str = "movements") -> list[Coverage]:
    if not flights:
        return []
    times = sorted(f.movement_ns for f in flights)
    return [Coverage("flights", times[0], times[-1], "real", note)]


def world_from_data(
    tide: dict[int, float],
    weather: dict[int, tuple[float, float]],
    flights: tuple[Flight, ...],
    start_ns: int,
    end_ns: int,
    seed: int,
) -> World:
    tide_series, tide_cov = tide_from_readings(tide, start_ns, end_ns)
    weather_series, weather_cov = weather_from_points(weather, start_ns, end_ns, seed)
    flights = tuple(sorted(flights, key=lambda f: (f.movement_ns, f.direction, f.number)))
    coverage = tuple(tide_cov + weather_cov + flights_coverage(flights))
    return World(tide_series, weather_series, FlightList(flights), seed, coverage)


def synthetic_world(seed: int, start_ns: int, end_ns: int) -> World:
    """A new reproducible day for each seed; everything modelled."""
    tide = synthetic_tide(seed, start_ns - TIDE_HISTORY_NS, end_ns)
    weather = synthetic_weather(seed, start_ns - WEATHER_HISTORY_NS, end_ns + WEATHER_AHEAD_NS)
    flights = synthetic_flights(seed, start_ns - FLIGHTS_MARGIN_NS, end_ns + FLIGHTS_MARGIN_NS)
    coverage = (
        Coverage("tide", tide.start_ns, tide.end_ns, "modelled", f"synthetic harmonic tide, seed {seed}"),
        Coverage("weather", weather.start_ns, weather.end_ns, "modelled", f"synthetic diurnal weather, seed {seed}"),
        Coverage("flights", start_ns - FLIGHTS_MARGIN_NS, end_ns + FLIGHTS_MARGIN_NS, "modelled", f"synthetic schedule, seed {seed}"),
    )
    return World(tide, weather, flights, seed, coverage)
