"""Seeded generators for a plausible London day: tide, weather and Heathrow movements.

Every generator takes an explicit integer seed (numpy PCG64), never the clock, and rounds to the
source's precision (tide 3 decimals, temperature 1 decimal, humidity integer) so results are the same
on every machine. Each series gets its own child seed so changing one generator leaves the others alone.
"""

from __future__ import annotations

import numpy as np
from numpy.random import PCG64, Generator

from cmi_sim.world.series import WEATHER_VARIABLES, Flight, FlightList, TideSeries, WeatherSeries
from cmi_sim.world.tide_model import HarmonicTide
from cmi_sim.world.times import HOUR_NS, MINUTE_NS, STEP_NS

_TIDE, _WEATHER, _FLIGHTS, _WEATHER_EXTRAS = 1, 2, 3, 4


def rng_for(seed: int, stream: int) -> Generator:
    """An independent generator per (seed, stream)."""
    return Generator(PCG64([stream, seed & 0xFFFFFFFFFFFFFFFF]))


def _ar1(rng: Generator, n: int, rho: float, sigma: float) -> np.ndarray:
    """Stationary AR(1) noise with marginal standard deviation `sigma`."""
    shocks = rng.standard_normal(n) * sigma * np.sqrt(1 - rho**2)
    out = np.empty(n)
    out[0] = rng.standard_normal() * sigma
    for i in range(1, n):
        out[i] = rho * out[i - 1] + shocks[i]
    return out


# --- tide ----------------------------------------------------------------------------------------

# Westminster-like amplitudes (m): range roughly +-3.5 m around a small positive mean.
_TIDE_AMPLITUDES = {"M2": 2.3, "S2": 0.6, "N2": 0.4, "K1": 0.1, "O1": 0.15, "M4": 0.15, "M6": 0.07, "M8": 0.05}


def synthetic_tide_model(seed: int, epoch_ns: int) -> HarmonicTide:
    rng = rng_for(seed, _TIDE)
    names = tuple(_TIDE_AMPLITUDES)
    phases = rng.uniform(0, 2 * np.pi, len(names))
    scale = rng.uniform(0.85, 1.1)  # neaps to springs
    amps = np.array([_TIDE_AMPLITUDES[n] for n in names]) * scale
    return HarmonicTide(
        epoch_ns=epoch_ns,
        mean_m=round(float(rng.normal(0.35, 0.1)), 3),
        constituents=names,
        cos_m=tuple(float(a * np.cos(p)) for a, p in zip(amps, phases, strict=True)),
        sin_m=tuple(float(a * np.sin(p)) for a, p in zip(amps, phases, strict=True)),
    )


def synthetic_tide(seed: int, first_ns: int, last_ns: int) -> TideSeries:
    """Harmonic tide plus slow surge noise, 15-minute readings from first to last (inclusive)."""
    n = (last_ns - first_ns) // STEP_NS + 1
    times = first_ns + np.arange(n, dtype=np.int64) * STEP_NS
    model = synthetic_tide_model(seed, first_ns)
    surge = _ar1(rng_for(seed, _TIDE + 100), n, rho=0.98, sigma=0.06)
    jitter = rng_for(seed, _TIDE + 200).normal(0, 0.01, n)  # gauge noise
    levels = np.round(model.level(times) + surge + jitter, 3)
    return TideSeries(first_ns, tuple(float(v) for v in levels))


# --- weather -------------------------------------------------------------------------------------


def _hour_of_day(times: np.ndarray) -> np.ndarray:
    """UTC hour of day; London is within an hour of UTC, enough for a diurnal shape."""
    return ((times // MINUTE_NS) % (24 * 60)) / 60.0


def weather_extras(seed: int, times: np.ndarray, temp_c: np.ndarray, rh: np.ndarray) -> dict[str, np.ndarray]:
    """Plausible wind, cloud, precipitation, visibility and apparent temperature given temp and RH."""
    rng = rng_for(seed, _WEATHER_EXTRAS)
    n = len(times)
    wind_kmh = np.clip(14 + _ar1(rng, n, 0.97, 6.0), 0.5, None)
    cloud = np.clip(40 + 1.2 * (rh - 75) + _ar1(rng, n, 0.95, 25.0), 0, 100)
    wet = (rng.random(n) < 0.04 + 0.25 * (rh > 92)) & (cloud > 60)
    precip = np.where(wet, rng.exponential(0.3, n), 0.0)
    visibility = np.clip(40000 - 380 * np.maximum(rh - 60, 0) + _ar1(rng, n, 0.9, 2500), 800, 60000)
    # Steadman's apparent temperature (shade), wind in m/s
    vapour_hpa = rh / 100 * 6.105 * np.exp(17.27 * temp_c / (237.7 + temp_c))
    apparent = temp_c + 0.33 * vapour_hpa - 0.70 * (wind_kmh / 3.6) - 4.0
    return {
        "apparent_temperature": apparent,
        "precipitation": precip,
        "wind_speed_10m": wind_kmh,
        "cloud_cover": cloud,
        "visibility": visibility,
    }


def round_weather(values: dict[str, np.ndarray]) -> dict[str, tuple[float, ...]]:
    """Round every variable to the precision Open-Meteo reports."""
    out: dict[str, tuple[float, ...]] = {}
    for name, (_, decimals) in WEATHER_VARIABLES.items():
        out[name] = tuple(float(v) for v in np.round(np.asarray(values[name], dtype=float), decimals))
    return out


def synthetic_weather(seed: int, first_ns: int, last_ns: int) -> WeatherSeries:
    """Late-winter London: diurnal temperature cycle (min ~06:30, max ~14:30) with AR(1) noise, humidity
    moving against temperature."""
    rng = rng_for(seed, _WEATHER)
    n = (last_ns - first_ns) // STEP_NS + 1
    times = first_ns + np.arange(n, dtype=np.int64) * STEP_NS
    mean_c = rng.normal(8.0, 3.0)
    amplitude = rng.uniform(1.5, 4.5)
    hours = _hour_of_day(times)
    # asymmetric day: warm-up 06:30 -> 14:30 (8 h), cool-down 16 h
    phase = np.where(
        (hours >= 6.5) & (hours < 14.5),
        -np.cos(np.pi * (hours - 6.5) / 8.0),
        np.cos(np.pi * ((hours - 14.5) % 24) / 16.0),
    )
    drift = _ar1(rng, n, 0.995, 2.0)  # synoptic changes over a day or two
    temp = mean_c + amplitude * phase + drift + _ar1(rng, n, 0.9, 0.15)
    rh_mean = rng.uniform(70, 88)
    rh = np.clip(rh_mean - 4.0 * (temp - temp.mean()) + _ar1(rng, n, 0.97, 5.0), 25, 100)
    temp = np.round(temp, 1)
    rh = np.round(rh)
    values = {"temperature_2m": temp, "relative_humidity_2m": rh, **weather_extras(seed, times, temp, rh)}
    return WeatherSeries(first_ns, round_weather(values))


# --- flights -------------------------------------------------------------------------------------

# Movements per hour (UTC) at Heathrow, arrivals and departures: ~1200 a day, quiet at night (the
# night quota), arrivals first in the morning (long-haul red-eyes), departures late in the evening.
_ARR_PER_HOUR = (1, 0, 0, 0, 2, 12, 30, 28, 26, 25, 26, 26, 25, 25, 25, 25, 25, 25, 25, 24, 23, 20, 10, 2)
_DEP_PER_HOUR = (0, 0, 0, 0, 0, 2, 30, 29, 26, 25, 25, 26, 25, 25, 25, 26, 26, 25, 26, 25, 25, 24, 16, 4)
_AIRLINES = (("BA", 0.48), ("VS", 0.06), ("AA", 0.04), ("UA", 0.04), ("LH", 0.03), ("EI", 0.04), ("AF", 0.03),
             ("KL", 0.03), ("QR", 0.03), ("EK", 0.02), ("DL", 0.03), ("IB", 0.02), ("AC", 0.02), ("SK", 0.02),
             ("LX", 0.02), ("TK", 0.02), ("AY", 0.02), ("SQ", 0.01), ("AI", 0.02), ("EY", 0.02))


def synthetic_flights(seed: int, first_ns: int, last_ns: int) -> FlightList:
    """Movements scheduled in [first, last) on a 5-minute schedule grid, with delays and a few
    cancellations; statuses are final (the "as of now" view derives live statuses)."""
    rng = rng_for(seed, _FLIGHTS)
    codes = [c for c, _ in _AIRLINES]
    weights = np.array([w for _, w in _AIRLINES])
    weights = weights / weights.sum()
    # ~600 movements a day each way (LHR: ~1,200-1,300 a day), +-5 % from day to day
    day_factor = rng.uniform(0.95, 1.05) * 600
    flights: list[Flight] = []
    used: set[str] = set()
    slot = 5 * MINUTE_NS
    t = first_ns - first_ns % slot
    while t < last_ns:
        if t >= first_ns:
            hour = int((t // HOUR_NS) % 24)
            for direction, per_hour in (("arr", _ARR_PER_HOUR), ("dep", _DEP_PER_HOUR)):
                for _ in range(rng.poisson(per_hour[hour] / sum(per_hour) * day_factor / 12)):
                    flights.append(_one_flight(rng, direction, t, codes, weights, used))
        t += slot
    return FlightList(tuple(flights))


def _one_flight(rng: Generator, direction: str, scheduled: int, codes: list[str], weights: np.ndarray, used: set[str]) -> Flight:
    while True:  # unique flight numbers within the day
        code = codes[int(rng.choice(len(codes), p=weights))]
        number = f"{code} {int(rng.integers(1, 2000))}"
        if number not in used:
            used.add(number)
            break
    # delays: mostly a few minutes early/late, a long right tail
    delay_min = int(round(rng.normal(-4, 4) if rng.random() < 0.45 else rng.exponential(14)))
    revised = scheduled + delay_min * MINUTE_NS
    cancelled = rng.random() < 0.01
    runway = revised + int(rng.integers(-3, 4)) * MINUTE_NS
    return Flight(
        direction=direction,  # type: ignore[arg-type]
        number=number,
        scheduled_ns=scheduled,
        revised_ns=None if cancelled else revised,
        runway_ns=None if cancelled else runway,
        status="Canceled" if cancelled else ("Arrived" if direction == "arr" else "Departed"),
        is_cargo=bool(rng.random() < 0.01),
        codeshare_status="IsOperator",
    )
