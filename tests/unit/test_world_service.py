"""The three data APIs as of a moment: response shapes, and no look-ahead at several moments."""

from __future__ import annotations

import pytest

from cmi_sim.world import HOSTS, WorldDataService, synthetic_world
from cmi_sim.world.times import DAY_NS, HOUR_NS, MINUTE_NS, parse_utc

START = parse_utc("2026-02-28T12:00:00Z")
END = START + DAY_NS
WORLD = synthetic_world(42, START, END)
EA = "https://environment.data.gov.uk/flood-monitoring/id/measures/0006-level-tidal_level-i-15_min-mAOD/readings"
OM = "https://api.open-meteo.com/v1/forecast?latitude=51.5074&longitude=-0.1278&timezone=Europe/London"
ADB = "https://aerodatabox.p.rapidapi.com/flights/airports/iata/LHR"
KEY = {"x-rapidapi-key": "test"}
MOMENTS = [START + 7 * MINUTE_NS, START + 5 * HOUR_NS + 30 * MINUTE_NS, START + 17 * HOUR_NS + 3 * MINUTE_NS, END]


def service(**kw) -> WorldDataService:
    return WorldDataService(WORLD, **kw)


def adb_utc(text: str) -> int:
    return parse_utc(text)


def test_hosts_are_the_three_data_apis():
    assert HOSTS == {"environment.data.gov.uk", "api.open-meteo.com", "aerodatabox.p.rapidapi.com"}
    assert service().hosts == HOSTS


def test_unknown_path_on_data_host_gives_404_json():
    status, body = service().handle("GET", "https://api.open-meteo.com/v2/nothing", now_ns=START)
    assert status == 404 and "message" in body


# --- Environment Agency --------------------------------------------------------------------------


def test_ea_sorted_limit_gives_newest_first_in_real_shape():
    status, body = service().handle("GET", EA + "?_sorted&_limit=4", now_ns=START + 40 * MINUTE_NS)
    assert status == 200
    items = body["items"]
    assert [i["dateTime"] for i in items] == [
        "2026-02-28T12:30:00Z", "2026-02-28T12:15:00Z", "2026-02-28T12:00:00Z", "2026-02-28T11:45:00Z",
    ]
    assert set(items[0]) == {"@id", "dateTime", "value", "measure"}
    assert items[0]["measure"].endswith("/id/measures/0006-level-tidal_level-i-15_min-mAOD")
    assert items[0]["value"] == WORLD.tide.level_at(START + 30 * MINUTE_NS)


@pytest.mark.parametrize("now", MOMENTS)
def test_ea_at_moment_returns_nothing_after_now(now):
    _, body = service().handle("GET", EA + "?_sorted&_limit=500", now_ns=now)
    times = [parse_utc(i["dateTime"]) for i in body["items"]]
    assert times and max(times) <= now
    assert max(times) > now - 15 * MINUTE_NS


def test_ea_publication_lag_hides_recent_readings():
    _, body = service(tide_publication_lag_ns=30 * MINUTE_NS).handle("GET", EA + "?_sorted&_limit=1", now_ns=START + 40 * MINUTE_NS)
    assert body["items"][0]["dateTime"] == "2026-02-28T12:00:00Z"


def test_ea_since_filters_and_unsorted_is_oldest_first():
    _, body = service().handle("GET", EA + "?since=2026-02-28T12:00:00Z", now_ns=START + HOUR_NS)
    assert [i["dateTime"][11:16] for i in body["items"]] == ["12:00", "12:15", "12:30", "12:45", "13:00"]


# --- Open-Meteo ----------------------------------------------------------------------------------


def om(now: int, extra: str) -> dict:
    status, body = service().handle("GET", OM + extra, now_ns=now)
    assert status == 200, body
    return body


def test_open_meteo_minutely_shape_and_requested_variables_only():
    body = om(START + 7 * MINUTE_NS, "&minutely_15=temperature_2m,relative_humidity_2m&past_minutely_15=4&forecast_minutely_15=4")
    block = body["minutely_15"]
    assert set(block) == {"time", "temperature_2m", "relative_humidity_2m"}
    assert block["time"] == ["2026-02-28T11:00", "2026-02-28T11:15", "2026-02-28T11:30", "2026-02-28T11:45",
                             "2026-02-28T12:00", "2026-02-28T12:15", "2026-02-28T12:30", "2026-02-28T12:45"]
    assert body["minutely_15_units"] == {"time": "iso8601", "temperature_2m": "°C", "relative_humidity_2m": "%"}
    assert body["timezone"] == "Europe/London" and body["utc_offset_seconds"] == 0
    assert all(isinstance(v, int) for v in block["relative_humidity_2m"])


@pytest.mark.parametrize("now", MOMENTS)
def test_open_meteo_at_moment_past_is_truth_and_future_is_forecast(now):
    body = om(now, "&minutely_15=temperature_2m,relative_humidity_2m,wind_speed_10m&past_minutely_15=96&forecast_minutely_15=96")
    block = body["minutely_15"]
    differs = 0
    for i, label in enumerate(block["time"]):
        t = parse_utc(label + "Z")  # London = UTC in February
        truth = WORLD.weather.value("temperature_2m", t)
        if t <= now:
            assert block["temperature_2m"][i] == truth
            assert block["relative_humidity_2m"][i] == WORLD.weather.value("relative_humidity_2m", t)
        else:
            differs += block["temperature_2m"][i] != truth or block["relative_humidity_2m"][i] != WORLD.weather.value("relative_humidity_2m", t)
    assert differs > 40  # most of a day ahead is forecast, not truth


def test_open_meteo_forecast_error_shrinks_as_target_approaches():
    target = START + 20 * HOUR_NS
    def error(now: int) -> float:
        body = om(now, "&minutely_15=temperature_2m,relative_humidity_2m&forecast_minutely_15=96")
        i = body["minutely_15"]["time"].index("2026-03-01T08:00")
        return abs(body["minutely_15"]["relative_humidity_2m"][i] - WORLD.weather.value("relative_humidity_2m", target))
    errors = [error(target - h * HOUR_NS) for h in (19, 18, 17)]
    near = [error(target - m * MINUTE_NS) for m in (30, 45, 60, 75)]
    assert sum(near) <= sum(errors)
    assert max(near) <= 2


def test_open_meteo_same_moment_gives_same_forecast():
    q = "&minutely_15=temperature_2m&forecast_minutely_15=50"
    assert om(START + 3 * HOUR_NS, q) == om(START + 3 * HOUR_NS, q)


def test_open_meteo_default_range_starts_at_local_midnight_for_7_days():
    body = om(START + 3 * HOUR_NS, "&minutely_15=temperature_2m")
    assert body["minutely_15"]["time"][0] == "2026-02-28T00:00" and len(body["minutely_15"]["time"]) == 7 * 96


def test_open_meteo_unknown_variable_gives_400_reason():
    status, body = service().handle("GET", OM + "&minutely_15=snowfall_depth_x", now_ns=START)
    assert status == 400 and body["error"] is True and "snowfall_depth_x" in body["reason"]


def test_open_meteo_summer_london_times_are_bst_local():
    summer = parse_utc("2026-06-01T12:00:00Z")
    svc = WorldDataService(synthetic_world(1, summer, summer + DAY_NS))
    _, body = svc.handle("GET", OM + "&minutely_15=temperature_2m&past_minutely_15=1&forecast_minutely_15=1", now_ns=summer)
    assert body["minutely_15"]["time"] == ["2026-06-01T12:45", "2026-06-01T13:00"]
    assert body["utc_offset_seconds"] == 3600 and body["timezone_abbreviation"] == "BST"


# --- AeroDataBox ---------------------------------------------------------------------------------


def test_aerodatabox_without_key_gives_401():
    status, _ = service().handle("GET", ADB + "?offsetMinutes=-720&durationMinutes=720", now_ns=START)
    assert status == 401


def test_aerodatabox_range_over_12_hours_gives_400_message():
    status, body = service().handle("GET", ADB + "/2026-02-28T00:00/2026-02-28T12:01", KEY, now_ns=START)
    assert status == 400 and "12 hours" in body["message"]


def test_aerodatabox_movement_shape_matches_real_api():
    _, body = service().handle("GET", ADB + "/2026-02-28T12:00/2026-02-28T18:00", KEY, now_ns=START + 8 * HOUR_NS)
    assert set(body) == {"arrivals", "departures"}
    m = body["arrivals"][0]
    assert {"movement", "number", "status", "codeshareStatus", "isCargo", "airline"} <= set(m)
    assert m["movement"]["scheduledTime"]["utc"].endswith("Z") and len(m["movement"]["scheduledTime"]["utc"]) == 17
    assert m["movement"]["scheduledTime"]["local"].endswith("+00:00")
    assert "name" in m["movement"]["airport"] and "name" in m["airline"]


@pytest.mark.parametrize("now", MOMENTS)
def test_aerodatabox_at_moment_nothing_after_now_has_moved(now):
    svc = service()
    for url in (ADB + "?offsetMinutes=-720&durationMinutes=720&direction=Both",
                ADB + "?offsetMinutes=0&durationMinutes=720&withCancelled=false"):
        status, body = svc.handle("GET", url, KEY, now_ns=now)
        assert status == 200
        moved = 0
        for m in body["arrivals"] + body["departures"]:
            mv = m["movement"]
            if "runwayTime" in mv:
                assert adb_utc(mv["runwayTime"]["utc"]) <= now
            if m["status"] in ("Arrived", "Departed"):
                t = adb_utc((mv.get("revisedTime") or mv["scheduledTime"])["utc"])
                assert t <= now
            elif m["status"] != "Canceled":
                t = adb_utc((mv.get("revisedTime") or mv["scheduledTime"])["utc"])
                assert t > now
                assert "runwayTime" not in mv


def test_aerodatabox_departure_statuses_progress_by_time_to_go():
    svc = service()
    f = next(f for f in WORLD.flights.flights if f.direction == "dep" and f.movement_ns > START + 2 * HOUR_NS and not f.cancelled)
    seen = []
    for minutes_before in (120, 30, 10, 0):
        now = f.movement_ns - minutes_before * MINUTE_NS
        _, body = svc.handle("GET", ADB + "?offsetMinutes=-300&durationMinutes=600&direction=Departure", KEY, now_ns=now)
        seen.append(next(m["status"] for m in body["departures"] if m["number"] == f.number))
    assert seen == ["Expected", "Boarding", "GateClosed", "Departed"]


def test_aerodatabox_direction_filter_returns_one_list():
    _, body = service().handle("GET", ADB + "?direction=Arrival", KEY, now_ns=START)
    assert set(body) == {"arrivals"}


def test_ea_later_moment_gives_later_latest_reading():
    a = service().handle("GET", EA + "?_sorted&_limit=1", now_ns=START)
    b = service().handle("GET", EA + "?_sorted&_limit=1", now_ns=START + HOUR_NS)
    assert a.body["items"][0]["dateTime"] == "2026-02-28T12:00:00Z"
    assert b.body["items"][0]["dateTime"] == "2026-02-28T13:00:00Z"


# --- query parameters as the real APIs document them ----------------------------------------------

NOON = START + 90 * MINUTE_NS


@pytest.mark.parametrize("param, value, variable, label, convert", [
    ("temperature_unit", "fahrenheit", "temperature_2m", "°F", lambda c: c * 9 / 5 + 32),
    ("temperature_unit", "fahrenheit", "apparent_temperature", "°F", lambda c: c * 9 / 5 + 32),
    ("temperature_unit", "celsius", "temperature_2m", "°C", lambda c: c),
    ("wind_speed_unit", "ms", "wind_speed_10m", "m/s", lambda v: v / 3.6),
    ("wind_speed_unit", "mph", "wind_speed_10m", "mp/h", lambda v: v / 1.609344),
    ("wind_speed_unit", "kn", "wind_speed_10m", "kn", lambda v: v / 1.852),
    ("wind_speed_unit", "kmh", "wind_speed_10m", "km/h", lambda v: v),
    ("precipitation_unit", "inch", "precipitation", "inch", lambda v: v / 25.4),
    ("precipitation_unit", "mm", "precipitation", "mm", lambda v: v),
])
def test_open_meteo_units_convert_current_and_hourly(param, value, variable, label, convert):
    plain = om(NOON, f"&current={variable}&hourly={variable}&forecast_days=1")
    converted = om(NOON, f"&current={variable}&hourly={variable}&forecast_days=1&{param}={value}")
    assert converted["current_units"][variable] == label and converted["hourly_units"][variable] == label
    assert converted["current"][variable] == pytest.approx(convert(plain["current"][variable]), abs=0.06)
    for before, after in zip(plain["hourly"][variable], converted["hourly"][variable]):
        assert after == pytest.approx(convert(before), abs=0.06)


def test_open_meteo_fahrenheit_puts_a_london_february_day_near_50():
    body = om(NOON, "&current=temperature_2m&temperature_unit=fahrenheit")
    assert 30 < body["current"]["temperature_2m"] < 65  # never 10 degrees read as Fahrenheit


@pytest.mark.parametrize("extra, reason", [
    ("&temperature_unit=kelvin", "Cannot initialize TemperatureUnit from invalid String value kelvin for key temperature_unit"),
    ("&wind_speed_unit=knots", "Cannot initialize WindspeedUnit from invalid String value knots for key wind_speed_unit"),
    ("&precipitation_unit=cm", "Cannot initialize PrecipitationUnit from invalid String value cm for key precipitation_unit"),
    ("&timeformat=rfc", "Cannot initialize Timeformat from invalid String value rfc for key timeformat"),
    ("&forecast_days=17&hourly=temperature_2m", "Parameter 'forecast_days' must be between 0 and 16"),
    ("&past_days=93&hourly=temperature_2m", "Parameter 'past_days' must be between 0 and 92"),
    ("&hourly=snow_depth", "Cannot initialize WeatherVariable from invalid String value snow_depth for key hourly"),
])
def test_open_meteo_bad_values_answer_as_open_meteo_does(extra, reason):
    status, body = service().handle("GET", OM + extra, now_ns=NOON)
    assert (status, body) == (400, {"error": True, "reason": reason})


def test_open_meteo_out_of_range_latitude_is_refused():
    status, body = service().handle("GET", OM.replace("51.5074", "91"), now_ns=NOON)
    assert status == 400 and body["reason"] == "Latitude must be in range of -90 to 90°. Given: 91.0."


@pytest.mark.parametrize("extra, word", [("&daily=temperature_2m_max", "daily"),
                                         ("&cell_selection=sea", "cell_selection")])
def test_open_meteo_parameters_not_simulated_are_refused_clearly(extra, word):
    status, body = service().handle("GET", OM + extra, now_ns=NOON)
    assert status == 400 and body["error"] is True and body["reason"].startswith("cmi-sim:") and word in body["reason"]


def test_open_meteo_unknown_parameter_names_are_ignored_and_models_accepted():
    assert om(NOON, "&current=temperature_2m&foo=bar&models=ukmo_seamless")["current"]["temperature_2m"] is not None


def test_open_meteo_past_and_forecast_days_set_the_range():
    body = om(NOON, "&hourly=temperature_2m&past_days=1&forecast_days=2&timezone=GMT")
    times = body["hourly"]["time"]
    assert len(times) == 3 * 24 and times[0] == "2026-02-27T00:00" and times[-1] == "2026-03-01T23:00"


def test_open_meteo_start_and_end_date_and_hour_ranges():
    days = om(NOON, "&hourly=temperature_2m&start_date=2026-02-28&end_date=2026-03-01&timezone=GMT")
    assert len(days["hourly"]["time"]) == 48 and days["hourly"]["time"][-1] == "2026-03-01T23:00"
    hours = om(NOON, "&hourly=temperature_2m&start_hour=2026-02-28T10:00&end_hour=2026-02-28T13:00")
    assert hours["hourly"]["time"] == ["2026-02-28T10:00", "2026-02-28T11:00", "2026-02-28T12:00", "2026-02-28T13:00"]
    quarter = om(NOON, "&minutely_15=temperature_2m&start_minutely_15=2026-02-28T12:00&end_minutely_15=2026-02-28T12:30")
    assert quarter["minutely_15"]["time"] == ["2026-02-28T12:00", "2026-02-28T12:15", "2026-02-28T12:30"]
    status, body = service().handle("GET", OM + "&hourly=temperature_2m&start_date=2026-02-28&past_days=1", now_ns=NOON)
    assert status == 400 and body["error"] is True


def test_open_meteo_timezone_shifts_local_times_and_offset():
    body = om(NOON, "&current=temperature_2m&timezone=America/New_York")
    assert body["utc_offset_seconds"] == -5 * 3600 and body["timezone"] == "America/New_York"
    assert body["current"]["time"] == "2026-02-28T08:30"  # 13:30 UTC
    status, bad = service().handle("GET", OM.replace("timezone=Europe/London", "timezone=Mars/Base"), now_ns=NOON)
    assert status == 400 and bad["error"] is True


def test_open_meteo_current_reads_the_latest_quarter_hour():
    assert om(NOON, "&current=temperature_2m")["current"]["time"] == "2026-02-28T13:30"


def test_ea_limit_and_offset_page_through_newest_first():
    url = EA + "?_sorted&_limit=2"
    _, first = service().handle("GET", url, now_ns=START + HOUR_NS)
    _, second = service().handle("GET", url + "&_offset=2", now_ns=START + HOUR_NS)
    assert [i["dateTime"][11:16] for i in first["items"]] == ["13:00", "12:45"]
    assert [i["dateTime"][11:16] for i in second["items"]] == ["12:30", "12:15"]
    assert first["meta"]["limit"] == 2


def test_ea_limit_without_sorted_gives_the_latest_oldest_first():
    _, body = service().handle("GET", EA + "?_limit=3", now_ns=START + HOUR_NS)
    assert [i["dateTime"][11:16] for i in body["items"]] == ["12:30", "12:45", "13:00"]


def test_ea_since_today_latest_and_date():
    now = START + 2 * HOUR_NS
    _, since = service().handle("GET", EA + "?since=2026-02-28T13:30:00Z&_sorted", now_ns=now)
    assert [i["dateTime"][11:16] for i in since["items"]] == ["14:00", "13:45", "13:30"]
    _, today = service().handle("GET", EA + "?today", now_ns=now)
    assert all(i["dateTime"].startswith("2026-02-28") for i in today["items"]) and today["items"]
    _, latest = service().handle("GET", EA + "?latest", now_ns=now)
    assert [i["dateTime"] for i in latest["items"]] == ["2026-02-28T14:00:00Z"]
    _, future = service().handle("GET", EA + "?date=2026-03-01", now_ns=now)
    assert future["items"] == []  # nothing published yet


@pytest.mark.parametrize("extra", ["?_limit=abc", "?_limit=0", "?_offset=-1", "?since=yesterday", "?date=28-02-2026"])
def test_ea_malformed_values_get_a_400_naming_the_problem(extra):
    status, body = service().handle("GET", EA + extra, now_ns=START + HOUR_NS)
    assert status == 400 and body["error"]


def test_aerodatabox_with_leg_gives_departure_and_arrival_sides():
    _, body = service().handle("GET", ADB + "?offsetMinutes=-120&durationMinutes=240&withLeg=true", KEY, now_ns=NOON)
    departure = body["departures"][0]
    assert "movement" not in departure and departure["departure"]["airport"]["iata"] == "LHR"
    assert "scheduledTime" in departure["departure"] and "scheduledTime" not in departure["arrival"]
    arrival = body["arrivals"][0]
    assert arrival["arrival"]["airport"]["iata"] == "LHR" and arrival["departure"]["airport"]["iata"] != "LHR"
    _, plain = service().handle("GET", ADB + "?offsetMinutes=-120&durationMinutes=240", KEY, now_ns=NOON)
    assert [e["number"] for e in plain["departures"]] == [e["number"] for e in body["departures"]]


def test_aerodatabox_filters_cancelled_codeshared_and_cargo():
    url = ADB + "?offsetMinutes=-720&durationMinutes=720"
    _, everything = service().handle("GET", url, KEY, now_ns=END)
    _, operators = service().handle("GET", url + "&withCodeshared=false", KEY, now_ns=END)
    _, no_cancelled = service().handle("GET", url + "&withCancelled=false", KEY, now_ns=END)
    _, no_cargo = service().handle("GET", url + "&withCargo=false&withPrivate=true&withLocation=false", KEY, now_ns=END)
    every = everything["departures"] + everything["arrivals"]
    assert all(e["codeshareStatus"] == "IsOperator" for e in operators["departures"] + operators["arrivals"])
    assert all(e["status"] != "Canceled" for e in no_cancelled["departures"] + no_cancelled["arrivals"])
    assert all(not e["isCargo"] for e in no_cargo["departures"] + no_cargo["arrivals"])
    assert len(operators["departures"]) + len(operators["arrivals"]) <= len(every)


@pytest.mark.parametrize("extra, word", [("&withLeg=yes", "withLeg"), ("&withCargo=1", "withCargo"),
                                         ("&direction=Both,Arrival", "direction"),
                                         ("&offsetMinutes=-2000", "offsetMinutes"),
                                         ("&durationMinutes=abc", "Invalid")])
def test_aerodatabox_bad_options_get_a_400_message(extra, word):
    status, body = service().handle("GET", ADB + "?offsetMinutes=-60&durationMinutes=120" + extra, KEY, now_ns=NOON)
    assert status == 400 and word in body["message"]
