"""Open-Meteo `/v1/forecast` as of a moment: past points are the truth, later points a forecast.

Supports, as https://open-meteo.com/en/docs documents them: `minutely_15`, `hourly` and `current` with
the variables of WEATHER_VARIABLES; `temperature_unit` (celsius, fahrenheit), `wind_speed_unit` (kmh, ms,
mph, kn), `precipitation_unit` (mm, inch); `past_minutely_15`/`forecast_minutely_15`,
`past_hours`/`forecast_hours`, `past_days` (0-92)/`forecast_days` (0-16), `start_date`/`end_date`,
`start_hour`/`end_hour`, `start_minutely_15`/`end_minutely_15`; `timezone` (an IANA name, `GMT`, `UTC` or
`auto` = Europe/London); `timeformat` (iso8601, unixtime); `models` (any value: the session has one
weather). Times are local without an offset, as Open-Meteo writes them. The world has one location: any
valid latitude/longitude gets London's weather (echoed back as requested).

A bad value answers as Open-Meteo does: 400 `{"error": true, "reason": ...}`. Parameters Open-Meteo has
but the simulator does not (`daily`, `cell_selection`, several locations) get the same shape with a
reason that says so; unknown names are ignored, as Open-Meteo ignores them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cmi_sim.world.forecast import value_as_of
from cmi_sim.world.reply import DataReply
from cmi_sim.world.series import WEATHER_VARIABLES, WeatherSeries
from cmi_sim.world.times import DAY_NS, HOUR_NS, NS, STEP_NS, floor_to, from_datetime, to_datetime

HOST = "api.open-meteo.com"
PATH = "/v1/forecast"
LONDON = "Europe/London"
MAX_FORECAST_DAYS = 16


#: unit parameter -> (Open-Meteo's enum name, {value: (unit label, convert from the stored unit, decimals)})
UNITS: dict[str, tuple[str, dict[str, tuple[str, Callable[[float], float], int]]]] = {
    "temperature_unit": ("TemperatureUnit", {
        "celsius": ("°C", lambda c: c, 1),
        "fahrenheit": ("°F", lambda c: c * 9 / 5 + 32, 1),
    }),
    "wind_speed_unit": ("WindspeedUnit", {
        "kmh": ("km/h", lambda v: v, 1),
        "ms": ("m/s", lambda v: v / 3.6, 1),
        "mph": ("mp/h", lambda v: v / 1.609344, 1),
        "kn": ("kn", lambda v: v / 1.852, 1),
    }),
    "precipitation_unit": ("PrecipitationUnit", {
        "mm": ("mm", lambda v: v, 1),
        "inch": ("inch", lambda v: v / 25.4, 3),
    }),
}
#: variable -> the unit parameter that converts it
UNIT_OF = {"temperature_2m": "temperature_unit", "apparent_temperature": "temperature_unit",
           "wind_speed_10m": "wind_speed_unit", "precipitation": "precipitation_unit"}
NOT_SIMULATED = {
    "daily": "daily aggregates are not simulated: ask for hourly or minutely_15 and aggregate them",
    "cell_selection": "cell_selection is not simulated: the session has one grid cell (London)",
}


def _error(reason: str) -> DataReply:
    return DataReply(400, {"error": True, "reason": reason})


Converter = Callable[[str, float | None], float | int | None]


def _units(params: dict[str, str]) -> tuple[dict[str, str], Converter]:
    """The unit label of each variable and a converter, from the three unit parameters."""
    chosen: dict[str, tuple[str, Callable[[float], float], int]] = {}
    for key, (enum, choices) in UNITS.items():
        value = params.get(key, next(iter(choices)))
        if value not in choices:
            raise ValueError(f"Cannot initialize {enum} from invalid String value {value} for key {key}")
        chosen[key] = choices[value]
    labels = {v: chosen[UNIT_OF[v]][0] if v in UNIT_OF else unit for v, (unit, _d) in WEATHER_VARIABLES.items()}

    def convert(variable: str, value: float | None) -> float | int | None:
        if value is None:
            return None
        if variable in UNIT_OF:
            _label, fn, decimals = chosen[UNIT_OF[variable]]
            return round(fn(value), decimals)
        return _json_value(variable, value)

    return labels, convert


def _zone(name: str) -> tuple[str, ZoneInfo]:
    if name in ("", "GMT", "UTC"):
        return name or "GMT", ZoneInfo("UTC")
    if name == "auto":
        name = LONDON
    return name, ZoneInfo(name)


def _local_midnight(now_ns: int, zone: ZoneInfo) -> int:
    local = to_datetime(now_ns, zone)
    return from_datetime(local.replace(hour=0, minute=0, second=0, microsecond=0))


def _int(params: dict[str, str], name: str, default: int | None, hi: int) -> int | None:
    if name not in params:
        return default
    value = int(params[name])
    if not 0 <= value <= hi:
        raise ValueError(f"Parameter '{name}' must be between 0 and {hi}")
    return value


def _local_ns(text: str, zone: ZoneInfo, key: str, parse: Callable[[str], datetime]) -> int:
    try:
        moment = parse(text)
    except ValueError:
        raise ValueError(f"Invalid {key}: {text}") from None
    return from_datetime(moment.replace(tzinfo=zone))


def _explicit_range(params: dict[str, str], zone: ZoneInfo, step_ns: int, key: str) -> list[int] | None:
    """Times from `start_date`/`end_date` (whole local days), `start_hour`/`end_hour` or
    `start_minutely_15`/`end_minutely_15` (local ISO times, inclusive), or None without them."""
    day = lambda text: datetime.combine(date.fromisoformat(text), datetime.min.time())  # noqa: E731
    pairs = (("start_date", "end_date", day, DAY_NS),
             (f"start_{'hour' if key == 'hourly' else 'minutely_15'}",
              f"end_{'hour' if key == 'hourly' else 'minutely_15'}", datetime.fromisoformat, 0))
    for start_key, end_key, parse, extra in pairs:
        if start_key in params or end_key in params:
            if start_key not in params or end_key not in params:
                raise ValueError(f"Parameter '{start_key}' and '{end_key}' must both be set")
            for other in ("past_days", "forecast_days"):
                if other in params:
                    raise ValueError(f"Parameter '{start_key}'/'{end_key}' and '{other}' are mutually exclusive")
            first = _local_ns(params[start_key], zone, start_key, parse)
            last = _local_ns(params[end_key], zone, end_key, parse) + extra - (step_ns if extra else 0)
            if last < first:
                raise ValueError("End-date must be larger or equal than start-date")
            first = -(-first // step_ns) * step_ns
            return list(range(first, last + 1, step_ns))
    return None


def _times(params: dict[str, str], now_ns: int, zone: ZoneInfo, step_ns: int, past_key: str, ahead_key: str,
           key: str) -> list[int]:
    explicit = _explicit_range(params, zone, step_ns, key)
    if explicit is not None:
        return explicit
    per_day = DAY_NS // step_ns
    past = _int(params, past_key, None, 92 * per_day)
    ahead = _int(params, ahead_key, None, MAX_FORECAST_DAYS * per_day)
    past_days = _int(params, "past_days", 0, 92) or 0
    forecast_days = _int(params, "forecast_days", 7, MAX_FORECAST_DAYS)
    assert forecast_days is not None
    if past is None and ahead is None:
        first = _local_midnight(now_ns, zone) - past_days * DAY_NS
        count = (past_days + forecast_days) * per_day
    else:
        current = floor_to(now_ns, step_ns)
        first = current - (past or 0) * step_ns
        if ahead is None:
            ahead = (_local_midnight(now_ns, zone) + forecast_days * DAY_NS - current) // step_ns
        count = (past or 0) + ahead
    return [first + i * step_ns for i in range(count)]


def _variables(params: dict[str, str], key: str) -> list[str]:
    names = [v for v in params.get(key, "").split(",") if v]
    for name in names:
        if name not in WEATHER_VARIABLES:
            raise ValueError(f"Cannot initialize WeatherVariable from invalid String value {name} for key {key}")
    return names


def _json_value(variable: str, value: float | None) -> float | int | None:
    if value is None:
        return None
    return int(value) if WEATHER_VARIABLES[variable][1] == 0 and variable != "visibility" else value


def _format_time(t_ns: int, zone: ZoneInfo, unixtime: bool) -> str | int:
    if unixtime:
        return t_ns // NS
    return to_datetime(t_ns, zone).strftime("%Y-%m-%dT%H:%M")


def forecast(weather: WeatherSeries, params: dict[str, str], now_ns: int, seed: int) -> DataReply:
    for key, reason in NOT_SIMULATED.items():
        if params.get(key):
            return _error(f"cmi-sim: {reason}")
    if "," in params.get("latitude", "") or "," in params.get("longitude", ""):
        return _error("cmi-sim: several locations are not simulated: the session has one location (London)")
    try:
        latitude = float(params["latitude"])
        longitude = float(params["longitude"])
    except KeyError:
        return _error("Parameter 'latitude' and 'longitude' must have the same number of elements")
    except ValueError as e:
        return _error(f"Invalid coordinates: {e}")
    if not -90 <= latitude <= 90:
        return _error(f"Latitude must be in range of -90 to 90°. Given: {latitude}.")
    if not -180 <= longitude <= 180:
        return _error(f"Longitude must be in range of -180 to 180°. Given: {longitude}.")
    timeformat = params.get("timeformat", "iso8601")
    if timeformat not in ("iso8601", "unixtime"):
        return _error(f"Cannot initialize Timeformat from invalid String value {timeformat} for key timeformat")
    try:
        labels, convert = _units(params)
    except ValueError as e:
        return _error(str(e))
    try:
        tz_name, zone = _zone(params.get("timezone", "GMT"))
    except (ZoneInfoNotFoundError, ValueError):
        return _error(f"Invalid timezone: {params.get('timezone')}")
    unixtime = timeformat == "unixtime"
    offset = to_datetime(now_ns, zone).utcoffset() or timedelta(0)
    body: dict[str, object] = {
        "latitude": latitude,
        "longitude": longitude,
        "generationtime_ms": 0.05,
        "utc_offset_seconds": int(offset.total_seconds()),
        "timezone": tz_name,
        "timezone_abbreviation": to_datetime(now_ns, zone).tzname() if tz_name not in ("GMT", "UTC") else tz_name,
        "elevation": 23.0,
    }
    try:
        blocks = (
            ("minutely_15", STEP_NS, "past_minutely_15", "forecast_minutely_15"),
            ("hourly", HOUR_NS, "past_hours", "forecast_hours"),
        )
        for key, step, past_key, ahead_key in blocks:
            names = _variables(params, key)
            if not names:
                continue
            times = _times(params, now_ns, zone, step, past_key, ahead_key, key)
            body[f"{key}_units"] = {"time": "unixtime" if unixtime else "iso8601"} | {n: labels[n] for n in names}
            block: dict[str, list[object]] = {"time": [_format_time(t, zone, unixtime) for t in times]}
            for n in names:
                block[n] = [convert(n, value_as_of(weather, n, t, now_ns, seed)) for t in times]
            body[key] = block
        names = _variables(params, "current")
        if names:
            t = floor_to(now_ns, STEP_NS)
            body["current_units"] = {"time": "unixtime" if unixtime else "iso8601", "interval": "seconds"} | {
                n: labels[n] for n in names
            }
            body["current"] = {"time": _format_time(t, zone, unixtime), "interval": 900} | {
                n: convert(n, weather.value(n, t)) for n in names
            }
    except ValueError as e:
        return _error(str(e))
    return DataReply(200, body)
