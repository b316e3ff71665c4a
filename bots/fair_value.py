"""A fair-value quoter: fetch the real data the products settle on, estimate every settlement value,
and quote a bid and an ask around each estimate, wider where the estimate is less certain.

Data (the real public APIs, called with ``requests``, cached and refreshed every few minutes):

* tide: Environment Agency readings of the Westminster gauge, newest first (``_sorted&_limit=N``);
  the level at the end of the window is extrapolated with a small harmonic fit (M2 + M4 + mean);
* weather: Open-Meteo ``minutely_15`` temperature and humidity, with ``past_minutely_15`` (observed)
  and ``forecast_minutely_15`` (forecast up to the end of the window);
* flights: AeroDataBox Heathrow arrivals and departures by offset from now (``offsetMinutes``,
  ``durationMinutes`` <= 12 h per call), with the ``x-rapidapi-key`` header from ``RAPIDAPI_KEY``.
  The free tier allows about 150 calls a month: flights are refreshed least often.

The settlement formulas are reimplemented here (products.md): TIDE_SPOT = |level at end| in mm,
TIDE_SWING = sum of a 20/25 cm strangle on 15-minute changes, WX_SPOT = F x RH at end, WX_SUM = sum of
F x RH over the 96 points before end / 100, LHR_COUNT = movements in [start, end), LHR_INDEX = |sum
over half-hour bins of (arr - dep)/(arr + dep)| x 100, LON_ETF = TIDE_SPOT + WX_SPOT + LHR_COUNT,
LON_FLY = 2 Put(6200) + Call(6200) - 2 Call(6600) + 3 Call(7000) on the ETF.

Every REST call to the exchange goes through ``_paced``: ONE REQUEST PER SECOND, as the exchange
requires (the data APIs are other hosts and are not counted). Every fetch logs the newest observed
data point next to the bot's clock at that moment:

    DATA source=tide fetched_at=2026-02-28T14:30:00.001000Z newest=2026-02-28T14:00:00Z points=9

    python bots/fair_value.py --url http://127.0.0.1:8000 --username fv --password pw
"""

from __future__ import annotations

import argparse
import math
import os
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import numpy as np
import requests

from bot_template import BaseBot, OrderRequest, Side, Trade

# What competitors had hard-coded: the real test exchange. Run with HTTP_PROXY to redirect it.
DEFAULT_URL = "http://ec2-52-49-69-152.eu-west-1.compute.amazonaws.com/"
POSITION_LIMIT = 100
SYMBOLS = ("TIDE_SPOT", "TIDE_SWING", "WX_SPOT", "WX_SUM", "LHR_COUNT", "LHR_INDEX", "LON_ETF", "LON_FLY")

TIDE_URL = ("https://environment.data.gov.uk/flood-monitoring/id/measures/"
            "0006-level-tidal_level-i-15_min-mAOD/readings")
WEATHER_URL = "https://api.open-meteo.com/v1/forecast"
FLIGHTS_URL = "https://aerodatabox.p.rapidapi.com/flights/airports/iata/LHR"
RAPIDAPI_KEY = os.environ.get("RAPIDAPI_KEY", "YOUR-RAPIDAPI-KEY")
LONDON = ZoneInfo("Europe/London")
STEP = timedelta(minutes=15)
M2_HOURS = 12.4206012
M4_HOURS = M2_HOURS / 2

T = TypeVar("T")


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def iso(t: datetime) -> str:
    return t.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def log(message: str) -> None:
    print(f"{iso(utcnow())} {message}", flush=True)


def parse_utc(text: str) -> datetime:
    """'2026-02-28T12:00:00Z' (EA) or '2026-02-28 11:35Z' (AeroDataBox)."""
    return datetime.fromisoformat(text.replace(" ", "T").replace("Z", "+00:00")).astimezone(timezone.utc)


# --- the settlement formulas ------------------------------------------------------------------


def wx(temp_c: float, rh: float) -> float:
    return (temp_c * 9 / 5 + 32) * rh


def strangle(d_cm: float) -> float:
    return max(0.0, 20 - d_cm) + max(0.0, d_cm - 25)


def fly(etf: float) -> float:
    def call(k: float) -> float:
        return max(0.0, etf - k)

    return 2 * max(0.0, 6200 - etf) + call(6200) - 2 * call(6600) + 3 * call(7000)


# --- the data ---------------------------------------------------------------------------------


class Data:
    """The three sources, each cached with the time it was fetched."""

    def __init__(self, start: datetime, end: datetime, refresh: timedelta, flights_refresh: timedelta) -> None:
        self.start, self.end = start, end
        self.refresh, self.flights_refresh = refresh, flights_refresh
        self.session = requests.Session()
        self.tide: dict[datetime, float] = {}  # reading time -> metres AOD
        self.weather: dict[datetime, tuple[float, float]] = {}  # time -> (temperature C, RH %)
        self.weather_observed_until: datetime | None = None
        self.flights: dict[tuple[str, str, str], tuple[str, datetime, bool]] = {}  # key -> (dir, time, moved)
        self.fetched: dict[str, datetime] = {}

    def update(self) -> None:
        now = utcnow()
        for name, every, fetch in (("tide", self.refresh, self.fetch_tide),
                                   ("weather", self.refresh, self.fetch_weather),
                                   ("flights", self.flights_refresh, self.fetch_flights)):
            last = self.fetched.get(name)
            if last is not None and now - last < every:
                continue
            try:
                fetch()
                self.fetched[name] = utcnow()
            except (requests.RequestException, ValueError, KeyError, TypeError) as exc:
                log(f"{name} fetch failed: {exc!r}")

    def fetch_tide(self) -> None:
        limit = int((self.end - self.start) / STEP) + 8
        r = self.session.get(f"{TIDE_URL}?_sorted&_limit={limit}", timeout=10)
        r.raise_for_status()
        at = utcnow()
        items = r.json()["items"]
        readings = {parse_utc(i["dateTime"]): float(i["value"]) for i in items if i.get("value") is not None}
        self.tide.update(readings)
        newest = max(readings) if readings else None
        log(f"DATA source=tide fetched_at={iso(at)} newest={iso(newest) if newest else '-'} points={len(readings)}")

    def fetch_weather(self) -> None:
        now = utcnow()
        past = 96
        ahead = max(1, math.ceil((self.end - now) / STEP) + 2)
        params = {"latitude": 51.5074, "longitude": -0.1278,
                  "minutely_15": "temperature_2m,relative_humidity_2m",
                  "past_minutely_15": past, "forecast_minutely_15": ahead, "timezone": "Europe/London"}
        r = self.session.get(WEATHER_URL, params=params, timeout=10)
        r.raise_for_status()
        at = utcnow()
        block = r.json()["minutely_15"]
        times = [datetime.fromisoformat(t).replace(tzinfo=LONDON).astimezone(timezone.utc) for t in block["time"]]
        for t, temp, rh in zip(times, block["temperature_2m"], block["relative_humidity_2m"]):
            if temp is not None and rh is not None:
                self.weather[t] = (float(temp), float(rh))
        # The first `past` points are past; the next one is the current quarter hour: observed too.
        self.weather_observed_until = times[past] if len(times) > past else (times[-1] if times else None)
        newest = self.weather_observed_until
        log(f"DATA source=weather fetched_at={iso(at)} newest={iso(newest) if newest else '-'} points={len(times)}")

    def fetch_flights(self) -> None:
        now = utcnow()
        lo = max(-1440, math.floor((self.start - now) / timedelta(minutes=1)) - 60)
        hi = min(1440, math.ceil((self.end - now) / timedelta(minutes=1)) + 60)
        fresh: dict[tuple[str, str, str], tuple[str, datetime, bool]] = {}
        offset = lo
        at = now
        while offset < hi:
            duration = min(720, hi - offset)
            r = self.session.get(FLIGHTS_URL, params={"offsetMinutes": offset, "durationMinutes": duration,
                                                      "direction": "Both"},
                                 headers={"x-rapidapi-key": RAPIDAPI_KEY,
                                          "x-rapidapi-host": "aerodatabox.p.rapidapi.com"}, timeout=10)
            r.raise_for_status()
            at = utcnow()
            body = r.json()
            for key, direction in (("arrivals", "arr"), ("departures", "dep")):
                for f in body.get(key, []):
                    if f.get("status") in ("Canceled", "Cancelled", "CanceledUncertain"):
                        continue
                    m = f["movement"]
                    scheduled = m["scheduledTime"]["utc"]
                    when = parse_utc((m.get("revisedTime") or m["scheduledTime"])["utc"])
                    moved = f.get("status") in ("Arrived", "Departed", "Landed")
                    if moved and m.get("runwayTime"):
                        when_seen = max(when, parse_utc(m["runwayTime"]["utc"]))
                    else:
                        when_seen = when
                    fresh[(direction, f.get("number", ""), scheduled)] = (direction, when if not moved else when_seen, moved)
            offset += duration
        self.flights = fresh
        moved_times = [t for _, t, moved in fresh.values() if moved]
        newest = max(moved_times) if moved_times else None
        log(f"DATA source=flights fetched_at={iso(at)} newest={iso(newest) if newest else '-'} points={len(fresh)}")


# --- the estimates ----------------------------------------------------------------------------


def tide_fit(readings: dict[datetime, float], origin: datetime) -> tuple[Callable[[datetime], float], float, float]:
    """Least squares mean + M2 + M4 (ridge-damped while data are short). Returns (model, rms, hours)."""
    times = sorted(readings)
    hours = np.array([(t - origin) / timedelta(hours=1) for t in times])
    levels = np.array([readings[t] for t in times])

    def design(h: np.ndarray) -> np.ndarray:
        w2, w4 = 2 * np.pi / M2_HOURS, 2 * np.pi / M4_HOURS
        return np.column_stack([np.ones_like(h), np.cos(w2 * h), np.sin(w2 * h), np.cos(w4 * h), np.sin(w4 * h)])

    a = design(hours)
    span = float(hours[-1] - hours[0]) if len(hours) > 1 else 0.0
    ridge = np.diag([0.0, 1.0, 1.0, 4.0, 4.0]) * (0.5 if span < M2_HOURS else 0.01)
    coef = np.linalg.solve(a.T @ a + ridge, a.T @ levels)
    rms = float(np.sqrt(np.mean((a @ coef - levels) ** 2)))

    def model(t: datetime) -> float:
        return float((design(np.array([(t - origin) / timedelta(hours=1)])) @ coef)[0])

    return model, rms, span


def estimate(data: Data, now: datetime) -> dict[str, tuple[float, float]]:
    """symbol -> (estimate, standard deviation) for every product the data allow."""
    out: dict[str, tuple[float, float]] = {}
    start, end = data.start, data.end
    grid = [start + i * STEP for i in range(int((end - start) / STEP) + 1)]
    hours_left = max(0.0, (end - now) / timedelta(hours=1))

    # tide
    if len(data.tide) >= 4:
        model, rms, span = tide_fit(data.tide, start)

        def level(t: datetime) -> float:
            return data.tide[t] if t in data.tide else model(t)

        spot_sd = 1000 * rms + (150 + 1500 * max(0.0, 1 - span / M2_HOURS)) * min(1.0, hours_left / 6)
        out["TIDE_SPOT"] = (abs(level(end)) * 1000, spot_sd + 20)
        levels = [level(t) for t in grid]
        swing = sum(strangle(round(abs(b - a) * 100, 9)) for a, b in zip(levels, levels[1:]))
        unknown = sum(1 for t in grid[1:] if t not in data.tide)
        out["TIDE_SWING"] = (swing, 5 + 2.5 * math.sqrt(unknown) * (1 + 2 * max(0.0, 1 - span / M2_HOURS)))

    # weather
    if data.weather:
        def point(t: datetime) -> tuple[float, float, float] | None:
            """(F x RH, its sd) at t: 0 once observed, growing with the forecast's lead."""
            if t not in data.weather:
                return None
            temp, rh = data.weather[t]
            lead = 0.0 if data.weather_observed_until and t <= data.weather_observed_until else (t - now) / timedelta(hours=1)
            sd_t, sd_rh = 0.3 + 0.08 * lead, 2 + 0.4 * lead
            sd = math.hypot(1.8 * rh * sd_t, (temp * 9 / 5 + 32) * sd_rh) if lead > 0 else 0.0
            return wx(temp, rh), sd, lead

        at_end = point(end)
        if at_end is not None:
            out["WX_SPOT"] = (at_end[0], at_end[1] + 10)
        points = [point(t) for t in grid[:-1]]
        if all(p is not None for p in points):
            total = sum(p[0] for p in points) / 100  # type: ignore[index]
            sd = 0.5 * sum(p[1] for p in points) / 100  # forecast errors are correlated: half of fully
            out["WX_SUM"] = (total, sd + 2)

    # flights
    if data.flights:
        in_window = [(d, t, moved) for d, t, moved in data.flights.values() if start <= t < end]
        count = len(in_window)
        to_come = sum(1 for _, _, moved in in_window if not moved)
        out["LHR_COUNT"] = (float(count), 3 + 0.03 * to_come)
        n_bins = int((end - start) / timedelta(minutes=30))
        arr, dep = [0] * n_bins, [0] * n_bins
        for d, t, _ in in_window:
            i = int((t - start) / timedelta(minutes=30))
            (arr if d == "arr" else dep)[i] += 1
        index = abs(sum((a - b) / (a + b) for a, b in zip(arr, dep) if a + b)) * 100
        bins_left = sum(1 for i in range(n_bins) if start + (i + 1) * timedelta(minutes=30) > now)
        out["LHR_INDEX"] = (index, 5 + 2 * math.sqrt(bins_left) * 3)

    # derived
    if all(s in out for s in ("TIDE_SPOT", "WX_SPOT", "LHR_COUNT")):
        etf = sum(out[s][0] for s in ("TIDE_SPOT", "WX_SPOT", "LHR_COUNT"))
        etf_sd = math.sqrt(sum(out[s][1] ** 2 for s in ("TIDE_SPOT", "WX_SPOT", "LHR_COUNT")))
        out["LON_ETF"] = (etf, etf_sd)
        samples = [fly(etf + k * etf_sd) for k in (-2, -1, 0, 1, 2)]  # a crude spread over the ETF's range
        out["LON_FLY"] = (sum(samples) / len(samples), (max(samples) - min(samples)) / 4 + 5)
    return out


# --- the bot ----------------------------------------------------------------------------------


class FairValueQuoter(BaseBot):
    REQUEST_SPACING = 1.0  # seconds between REST calls: the exchange's one-per-second rule

    def __init__(self, cmi_url: str, username: str, password: str, data: Data, width: float = 1.0,
                 min_half_width: int = 3, volume: int = 5) -> None:
        super().__init__(cmi_url, username, password)
        self.data = data
        self.width = width
        self.min_half_width = min_half_width
        self.volume = volume
        self._last_request_end: float | None = None

    def on_trades(self, trades: list[Trade]) -> None:
        for trade in trades:
            side = "BUY" if trade.buyer == self.username else "SELL"
            log(f"filled: {side} {trade.volume}x {trade.product} @ {trade.price}")

    def run_loop(self, interval: float = 30) -> None:
        while True:
            try:
                self.cycle()
            except requests.RequestException as exc:  # a failed call costs one cycle, not the bot
                log(f"cycle failed: {exc}")
            time.sleep(interval)

    def cycle(self) -> None:
        self.data.update()
        now = utcnow()
        estimates = estimate(self.data, now)
        log("estimates: " + ", ".join(f"{s} {estimates[s][0]:.1f}±{estimates[s][1]:.1f}"
                                      for s in SYMBOLS if s in estimates))
        for order in self._paced(self.get_orders):
            self._paced(lambda: self.cancel_order(order.id))
        positions = self._paced(self.get_positions)
        for symbol in SYMBOLS:
            if symbol not in estimates:
                continue
            value, sd = estimates[symbol]
            half = max(self.min_half_width, self.width * sd)
            position = positions.get(symbol, 0)
            centre = value - half * position / POSITION_LIMIT / 2  # lean against the position
            bid, ask = math.floor(centre - half), math.ceil(centre + half)
            if position + self.volume <= POSITION_LIMIT and bid > 0:
                self._paced(lambda: self.send_order(OrderRequest(symbol, bid, Side.BUY, self.volume)))
            if position - self.volume >= -POSITION_LIMIT:
                self._paced(lambda: self.send_order(OrderRequest(symbol, max(ask, 1), Side.SELL, self.volume)))

    def _paced(self, request: Callable[[], T]) -> T:
        """Run one REST call no sooner than REQUEST_SPACING after the previous one returned."""
        if self._last_request_end is not None:
            wait = self._last_request_end + self.REQUEST_SPACING - time.monotonic()
            if wait > 0:
                time.sleep(wait)
        try:
            return request()
        finally:
            self._last_request_end = time.monotonic()


def main() -> None:
    parser = argparse.ArgumentParser(description="Quote every product around an estimate from the real data.")
    parser.add_argument("--url", default=DEFAULT_URL, help="exchange base URL (default: the real test exchange)")
    parser.add_argument("--username", default="fair_value", help="account name")
    parser.add_argument("--password", default="fair-value-password", help="account password")
    parser.add_argument("--start", default="2026-02-28T12:00:00Z", help="settlement window start (UTC)")
    parser.add_argument("--end", default="2026-03-01T12:00:00Z", help="settlement window end (UTC)")
    parser.add_argument("--refresh-minutes", type=float, default=15, help="re-fetch tide and weather this often")
    parser.add_argument("--flights-minutes", type=float, default=60, help="re-fetch flights this often")
    parser.add_argument("--width", type=float, default=1.0, help="half-width of the quotes in standard deviations")
    parser.add_argument("--min-half-width", type=int, default=3, help="smallest half-width, in ticks")
    parser.add_argument("--volume", type=int, default=5, help="volume of each quote")
    parser.add_argument("--interval", type=float, default=30, help="seconds to rest between cycles")
    args = parser.parse_args()

    data = Data(parse_utc(args.start), parse_utc(args.end), timedelta(minutes=args.refresh_minutes),
                timedelta(minutes=args.flights_minutes))
    bot = FairValueQuoter(args.url, args.username, args.password, data, width=args.width,
                          min_half_width=args.min_half_width, volume=args.volume)
    bot.start()
    try:
        bot.run_loop(interval=args.interval)
    except KeyboardInterrupt:
        bot.stop()


if __name__ == "__main__":
    main()
