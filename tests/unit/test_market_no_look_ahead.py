"""No look-ahead: changing what the data says after a moment t leaves every action of the market before t
unchanged, for each data source (tide, weather, flights) and for the fair values themselves.

Two kinds of change: the published views after t (whatever the source says from t on: later readings,
later forecast issues, later flight statuses), and, where the world allows it, the world's own data
after t (tide readings taken after t; the world's weather forecasts are its truth plus an error, so its
truth after t shows in forecasts made before t, and only the published views can change there).

And the views are the data APIs' own: what the market reads at a moment is what a bot could fetch."""

from __future__ import annotations

import dataclasses
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from cmi_sim.exchange import Exchange, ExchangeRules, TradingHours
from cmi_sim.market import SyntheticMarket
from cmi_sim.market.as_of import AsOfData, FlightsAsOf, WorldAsOf
from cmi_sim.products import cmi_products
from cmi_sim.sessions import load_session
from cmi_sim.world.times import to_datetime

MINUTE_NS = 60 * 10**9
HOUR_NS = 60 * MINUTE_NS


class ChangedAfter:
    """The same data as `base` up to `t_ns`; from then on, `source` says something else."""

    def __init__(self, base: AsOfData, t_ns: int, source: str) -> None:
        self.base, self.t_ns, self.source = base, t_ns, source

    def tide_readings(self, now_ns: int) -> tuple[np.ndarray, np.ndarray]:
        times, levels = self.base.tide_readings(now_ns)
        if self.source == "tide" and now_ns > self.t_ns:
            levels = np.where(times > self.t_ns - 3 * HOUR_NS, levels + 0.4, levels)  # later readings, and revisions
        return times, levels

    def weather(self, variable: str, targets_ns: np.ndarray, now_ns: int) -> np.ndarray:
        values = self.base.weather(variable, targets_ns, now_ns)
        if self.source == "weather" and now_ns > self.t_ns:
            values = values + (4.0 if variable == "temperature_2m" else -10.0)
        return values

    def flights(self, now_ns: int) -> FlightsAsOf:
        view = self.base.flights(now_ns)
        if self.source == "flights" and now_ns > self.t_ns:
            later = ~view.moved
            view = dataclasses.replace(view, expected_ns=np.where(later, view.expected_ns + 50 * MINUTE_NS, view.expected_ns),
                                       cancelled=view.cancelled | (later & view.is_arrival))
        return view


@pytest.fixture(scope="module")
def london():
    return load_session("london-2026-02-28")


def run_market(session, data: AsOfData, hours: float = 2.5) -> tuple[SyntheticMarket, Exchange]:
    close = session.open_ns + int(hours * HOUR_NS)
    exchange = Exchange(cmi_products(dict(session.products)), ExchangeRules(position_limit=100),
                        TradingHours(session.open_ns, close))
    market = SyntheticMarket(exchange, data, session.start_ns, session.end_ns, session.open_ns, close, "look-ahead")
    wake = market.step(session.open_ns)
    while wake is not None:
        wake = market.step(wake)
    return market, exchange


def before(exchange: Exchange, t_ns: int) -> list:
    return [event for event in exchange.log if event.ts < t_ns]


@pytest.fixture(scope="module")
def original(london):
    return run_market(london, WorldAsOf(london.world, london.tide_publication_lag_ns))


@pytest.mark.parametrize("source", ["tide", "weather", "flights"])
def test_changing_a_source_after_t_changes_nothing_before_t(london, original, source):
    t_ns = london.open_ns + 75 * MINUTE_NS + 7 * 10**9  # not on any grid
    market, exchange = original
    changed_market, changed = run_market(london, ChangedAfter(WorldAsOf(london.world, london.tide_publication_lag_ns),
                                                              t_ns, source))
    assert before(changed, t_ns) == before(exchange, t_ns)
    for product, path in market.context.fair.items():
        for ts in range(london.open_ns, t_ns + 1, MINUTE_NS // 2):
            assert changed_market.context.fair[product].at(ts) == path.at(ts), (product, ts)
    # The change did reach the market after t: the test has teeth.
    assert any(changed_market.context.fair[p].at(t_ns + HOUR_NS) != market.context.fair[p].at(t_ns + HOUR_NS)
               for p in market.context.fair)
    assert changed.log != exchange.log


def test_changing_the_worlds_tide_after_t_changes_nothing_before_t(london, original):
    # Readings taken after t are published from t + lag: the market before t cannot have seen them.
    t_ns = london.open_ns + 80 * MINUTE_NS
    tide = london.world.tide
    levels = tuple(v + 0.5 if tide.start_ns + i * tide.step_ns > t_ns - london.tide_publication_lag_ns else v
                   for i, v in enumerate(tide.levels_m))
    world = dataclasses.replace(london.world, tide=dataclasses.replace(tide, levels_m=levels))
    _, changed = run_market(london, WorldAsOf(world, london.tide_publication_lag_ns))
    _, exchange = original
    assert before(changed, t_ns) == before(exchange, t_ns)
    assert changed.log != exchange.log


@pytest.mark.parametrize("hours", [0.5, 6, 17])
def test_the_markets_views_are_what_the_data_apis_serve(london, hours):
    now = london.open_ns + int(hours * HOUR_NS)
    service, view = london.data_service(), WorldAsOf(london.world, london.tide_publication_lag_ns)

    reply = service.handle("GET", "http://environment.data.gov.uk/flood-monitoring/id/stations/0006/readings"
                           "?_limit=10000", now_ns=now)
    served = [(item["dateTime"], item["value"]) for item in reply.body["items"]]
    times, levels = view.tide_readings(now)
    assert len(served) == len(times) and served[-1][1] == levels[-1] and served[0][1] == levels[0]

    reply = service.handle("GET", "https://api.open-meteo.com/v1/forecast?latitude=51.5&longitude=-0.12"
                           "&minutely_15=temperature_2m,relative_humidity_2m&timeformat=unixtime&past_days=1"
                           "&forecast_days=3", now_ns=now)
    block = reply.body["minutely_15"]
    targets = np.array(block["time"], dtype=np.int64) * 10**9
    for variable in ("temperature_2m", "relative_humidity_2m"):
        assert view.weather(variable, targets, now).tolist() == [float(v) for v in block[variable]]

    flights = view.flights(now)
    index = {(f.number, f.direction, _utc(f.shown_scheduled_ns)): i for i, f in enumerate(london.world.flights.flights)}
    lo = now - 2 * HOUR_NS
    for start in (lo, lo + 12 * HOUR_NS):
        reply = service.handle("GET", "https://aerodatabox.p.rapidapi.com/flights/airports/iata/LHR/"
                               f"{_local(start)}/{_local(start + 12 * HOUR_NS - MINUTE_NS)}", {"x-rapidapi-key": "k"},
                               now_ns=now)
        for key, direction in (("arrivals", "arr"), ("departures", "dep")):
            for entry in reply.body[key]:
                i = index[entry["number"], direction, entry["movement"]["scheduledTime"]["utc"]]
                assert (entry["status"] in ("Arrived", "Departed")) == bool(flights.moved[i])
                assert (entry["status"] == "Canceled") == bool(flights.cancelled[i])
                assert ("revisedTime" in entry["movement"]) == bool(flights.revised[i])


def _local(t_ns: int) -> str:
    return to_datetime(t_ns, ZoneInfo("Europe/London")).strftime("%Y-%m-%dT%H:%M")


def _utc(t_ns: int) -> str:
    return to_datetime(t_ns).strftime("%Y-%m-%d %H:%MZ")
