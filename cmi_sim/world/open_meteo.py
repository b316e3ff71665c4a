"""Open-Meteo `/v1/forecast` as of a moment: past points are the truth, later points a forecast.

Supports `minutely_15`, `hourly` and `current` with the variables of WEATHER_VARIABLES,
`past_minutely_15`/`forecast_minutely_15`, `past_hours`/`forecast_hours`, `past_days`/`forecast_days`,
`timezone` (an IANA name, `GMT`, `UTC` or `auto` = Europe/London) and `timeformat=unixtime`.
Times are local without an offset, as Open-Meteo writes them. The world has one location: any
latitude/longitude gets London's weather (echoed back as requested).
"""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cmi_sim.world.forecast import value_as_of
from cmi_sim.world.reply import DataReply
from cmi_sim.world.series import WEATHER_VARIABLES, WeatherSeries
from cmi_sim.world.times import DAY_NS, HOUR_NS, NS, STEP_NS, floor_to, from_datetime, to_datetime

HOST = "api.open-meteo.com"
PATH = "/v1/forecast"
LONDON = "Europe/London"
MAX_FORECAST_DAYS = 16


def _error(reason: str) -> DataReply:
    return DataReply(400, {"error": True, "reason": reason})


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


def _times(params: dict[str, str], now_ns: int, zone: ZoneInfo, step_ns: int, past_key: str, ahead_key: str) -> list[int]:
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
    try:
        latitude = float(params["latitude"])
        longitude = float(params["longitude"])
    except KeyError:
        return _error("Parameter 'latitude' and 'longitude' must have the same number of elements")
    except ValueError as e:
        return _error(f"Invalid coordinates: {e}")
    try:
        tz_name, zone = _zone(params.get("timezone", "GMT"))
    except (ZoneInfoNotFoundError, ValueError):
        return _error(f"Invalid timezone: {params.get('timezone')}")
    unixtime = params.get("timeformat") == "unixtime"
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
            times = _times(params, now_ns, zone, step, past_key, ahead_key)
            body[f"{key}_units"] = {"time": "unixtime" if unixtime else "iso8601"} | {n: WEATHER_VARIABLES[n][0] for n in names}
            block: dict[str, list[object]] = {"time": [_format_time(t, zone, unixtime) for t in times]}
            for n in names:
                block[n] = [_json_value(n, value_as_of(weather, n, t, now_ns, seed)) for t in times]
            body[key] = block
        names = _variables(params, "current")
        if names:
            t = floor_to(now_ns, STEP_NS)
            body["current_units"] = {"time": "unixtime" if unixtime else "iso8601", "interval": "seconds"} | {
                n: WEATHER_VARIABLES[n][0] for n in names
            }
            body["current"] = {"time": _format_time(t, zone, unixtime), "interval": 900} | {
                n: _json_value(n, weather.value(n, t)) for n in names
            }
    except ValueError as e:
        return _error(str(e))
    return DataReply(200, body)
