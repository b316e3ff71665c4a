"""The eight CMI settlement formulas (products.md), in one module.

Conventions (our choices where the organisers left a boundary open):

* Timestamps are integer UTC nanoseconds (`*_ns`). The window is `[start_ns, end_ns)`, 24 h in the
  challenge, but every function takes the window as arguments so partial windows can be checked.
* Data points sit on a 15-minute grid aligned to the window start: `start, start+15m, ..., end`.
* TIDE_SPOT: `abs(level(end)) * 1000` (metres AOD to millimetres).
* TIDE_SWING: the 96 consecutive pairs `(t-15m, t)` for `t = start+15m, ..., end` (both ends' readings
  used). `d` is the absolute change in centimetres, rounded to 1e-9 cm to drop binary noise, so a
  20.0 cm move (0.200 m) pays exactly 0 rather than 1e-13.
* WX_SPOT: `temperature_F * RH` at `end`. WX_SUM: the 96 points `start, ..., end-15m` (end excluded),
  divided by 100.
* LHR_COUNT: movements whose movement time `t` satisfies `start <= t < end` (half-open, so a movement
  at exactly 12:00 Sun belongs to the next window: London gives 1179, not 1181). The movement time of
  a flight is its revised time when present, else its scheduled time (see `movement_time_ns`).
* LHR_INDEX: 48 half-hour bins `[start + 30m*i, start + 30m*(i+1))`, same half-open rule, each adding
  `(arr - dep) / (arr + dep)`, an empty bin adding 0; the absolute total times 100.
* LON_ETF = TIDE_SPOT + WX_SPOT + LHR_COUNT; LON_FLY on E = LON_ETF:
  `2*Put(6200) + Call(6200) - 2*Call(6600) + 3*Call(7000)`.

Nothing is rounded at the end: reports may round for display. Missing data points raise
`SettlementError` (never silently skipped), naming the missing timestamp.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Protocol

from cmi_sim.products import CMI_SYMBOLS as SYMBOLS  # settlement values come in the exchange's product order

NS_PER_MINUTE = 60 * 1_000_000_000
STEP_NS = 15 * NS_PER_MINUTE  # the data grid
BIN_NS = 30 * NS_PER_MINUTE  # LHR_INDEX bins


class SettlementError(ValueError):
    """Data needed for a settlement value is missing or the window is not on the grid."""


class TideData(Protocol):
    def level_at(self, t_ns: int) -> float | None: ...


class WeatherData(Protocol):
    def temp_rh_at(self, t_ns: int) -> tuple[float, float] | None: ...


class FlightData(Protocol):
    def movements(self) -> Iterable[tuple[str, int]]: ...


class WorldData(Protocol):
    """What `settle` reads; `cmi_sim.world.World` satisfies it."""

    @property
    def tide(self) -> TideData: ...
    @property
    def weather(self) -> WeatherData: ...
    @property
    def flights(self) -> FlightData: ...


def _iso(t_ns: int) -> str:
    return datetime.fromtimestamp(t_ns / 1e9, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def grid(start_ns: int, end_ns: int, step_ns: int = STEP_NS) -> range:
    """The grid points `start, start+step, ..., end` (inclusive); the window must be whole steps."""
    if end_ns <= start_ns or (end_ns - start_ns) % step_ns:
        raise SettlementError(f"window {_iso(start_ns)} -> {_iso(end_ns)} is not a whole number of steps")
    return range(start_ns, end_ns + 1, step_ns)


def _lookup(series: Mapping[int, float] | TideData, t_ns: int, what: str) -> float:
    value = series.get(t_ns) if isinstance(series, Mapping) else series.level_at(t_ns)
    if value is None:
        raise SettlementError(f"missing {what} reading at {_iso(t_ns)}")
    return float(value)


# --- tide ---------------------------------------------------------------------------------------


def tide_spot(level_m: Mapping[int, float] | TideData, end_ns: int) -> float:
    """abs(level at end) in millimetres."""
    return abs(_lookup(level_m, end_ns, "tide")) * 1000.0


def swing_strangle(d_cm: float) -> float:
    """Strangle payoff on an absolute 15-minute change of `d_cm` centimetres."""
    return max(0.0, 20.0 - d_cm) + max(0.0, d_cm - 25.0)


def tide_swing(level_m: Mapping[int, float] | TideData, start_ns: int, end_ns: int) -> float:
    """Sum of the strangle over consecutive pairs of readings from start to end."""
    points = grid(start_ns, end_ns)
    levels = [_lookup(level_m, t, "tide") for t in points]
    return sum(
        swing_strangle(round(abs(b - a) * 100.0, 9)) for a, b in zip(levels, levels[1:], strict=False)
    )


# --- weather ------------------------------------------------------------------------------------


def wx_value(temperature_c: float, relative_humidity_pct: float) -> float:
    """temperature in Fahrenheit times relative humidity in percent."""
    return (temperature_c * 9.0 / 5.0 + 32.0) * relative_humidity_pct


def _weather_at(weather: Mapping[int, tuple[float, float]] | WeatherData, t_ns: int) -> tuple[float, float]:
    pair = weather.get(t_ns) if isinstance(weather, Mapping) else weather.temp_rh_at(t_ns)
    if pair is None:
        raise SettlementError(f"missing weather point at {_iso(t_ns)}")
    return pair


def wx_spot(weather: Mapping[int, tuple[float, float]] | WeatherData, end_ns: int) -> float:
    return wx_value(*_weather_at(weather, end_ns))


def wx_sum(weather: Mapping[int, tuple[float, float]] | WeatherData, start_ns: int, end_ns: int) -> float:
    """Sum over the points start, ..., end - 15m (end excluded) of F x RH, divided by 100."""
    points = grid(start_ns, end_ns)[:-1]
    return sum(wx_value(*_weather_at(weather, t)) for t in points) / 100.0


# --- flights ------------------------------------------------------------------------------------


def movement_time_ns(scheduled_ns: int | None, revised_ns: int | None) -> int:
    """The time a movement counts at: the revised time if known, else the scheduled time."""
    if revised_ns is not None:
        return revised_ns
    if scheduled_ns is None:
        raise SettlementError("a flight has neither a revised nor a scheduled time")
    return scheduled_ns


def lhr_count(movements: Iterable[tuple[str, int]], start_ns: int, end_ns: int) -> float:
    """Arrivals plus departures with movement time in [start, end)."""
    return float(sum(1 for _, t in movements if start_ns <= t < end_ns))


def lhr_index(movements: Iterable[tuple[str, int]], start_ns: int, end_ns: int) -> float:
    """abs(sum over half-hour bins of (arr - dep) / (arr + dep)) * 100; empty bins add 0."""
    bins = grid(start_ns, end_ns, BIN_NS)
    n_bins = len(bins) - 1
    arr = [0] * n_bins
    dep = [0] * n_bins
    for direction, t in movements:
        if not start_ns <= t < end_ns:
            continue
        i = (t - start_ns) // BIN_NS
        if direction == "arr":
            arr[i] += 1
        elif direction == "dep":
            dep[i] += 1
        else:
            raise SettlementError(f"flight direction must be 'arr' or 'dep', got {direction!r}")
    total = sum((a - d) / (a + d) for a, d in zip(arr, dep, strict=True) if a + d)
    return abs(total) * 100.0


# --- derived ------------------------------------------------------------------------------------


def call(e: float, k: float) -> float:
    return max(0.0, e - k)


def put(e: float, k: float) -> float:
    return max(0.0, k - e)


def lon_etf(tide_spot_value: float, wx_spot_value: float, lhr_count_value: float) -> float:
    return tide_spot_value + wx_spot_value + lhr_count_value


def lon_fly(etf: float) -> float:
    """2 Put(6200) + Call(6200) - 2 Call(6600) + 3 Call(7000); >= 0 everywhere, 0 only at E = 7000."""
    return 2 * put(etf, 6200) + call(etf, 6200) - 2 * call(etf, 6600) + 3 * call(etf, 7000)


def settle(world: WorldData, start_ns: int, end_ns: int) -> dict[str, float]:
    """All eight settlement values for the window, in product order."""
    movements = list(world.flights.movements())
    values: dict[str, float] = {}
    values["TIDE_SPOT"] = tide_spot(world.tide, end_ns)
    values["TIDE_SWING"] = tide_swing(world.tide, start_ns, end_ns)
    values["WX_SPOT"] = wx_spot(world.weather, end_ns)
    values["WX_SUM"] = wx_sum(world.weather, start_ns, end_ns)
    values["LHR_COUNT"] = lhr_count(movements, start_ns, end_ns)
    values["LHR_INDEX"] = lhr_index(movements, start_ns, end_ns)
    values["LON_ETF"] = lon_etf(values["TIDE_SPOT"], values["WX_SPOT"], values["LHR_COUNT"])
    values["LON_FLY"] = lon_fly(values["LON_ETF"])
    return values
