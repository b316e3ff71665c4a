"""The market's fair values: what the data published so far says each product will settle at.

At each point of a one-minute grid from the open, the three estimators (tide, weather, flights) read the
session's data as of that moment (cmi_sim.market.as_of) and the products follow from them by their
settlement formulas: LON_ETF is exactly its basket (TIDE_SPOT + WX_SPOT + LHR_COUNT, in ticks), LON_FLY is
the expected payoff of its options under the ETF's uncertainty, not the payoff at the point estimate.
Between grid points the value holds (the information of the last grid point at or before the moment),
so values move in steps as data is published and never use anything from after the moment.

Everything is computed once, when the market is built: `at` is a list look-up.
"""

from __future__ import annotations

import math

from cmi_sim.market.as_of import AsOfData
from cmi_sim.market.flight_estimate import FlightEstimator
from cmi_sim.market.gaussian import expected_fly
from cmi_sim.market.tide_estimate import TideEstimator
from cmi_sim.market.weather_estimate import WeatherEstimator

GRID_NS = 60 * 1_000_000_000
BASKET = ("TIDE_SPOT", "WX_SPOT", "LHR_COUNT")


class FairValuePath:
    """One product's fair value (ticks, >= 1) and its uncertainty (ticks) on the grid from `start_ns`."""

    def __init__(self, start_ns: int, ticks: list[int], sigmas: list[float]) -> None:
        self.start_ns = start_ns
        self._ticks = ticks
        self._sigmas = sigmas
        self._last = len(ticks) - 1

    def _index(self, ts: int) -> int:
        if ts <= self.start_ns:
            return 0
        return min(self._last, (ts - self.start_ns) // GRID_NS)

    def at(self, ts: int) -> int:
        """The fair value in ticks as of `ts`. O(1)."""
        return self._ticks[self._index(ts)]

    def sigma(self, ts: int) -> float:
        """The standard deviation of the settlement around `at(ts)`, in ticks: shrinks as the window fills."""
        return self._sigmas[self._index(ts)]


def estimate_all(data: AsOfData, start_ns: int, end_ns: int, now_ns: int,
                 tide: TideEstimator | None = None, weather: WeatherEstimator | None = None,
                 flights: FlightEstimator | None = None) -> dict[str, tuple[float, float]]:
    """(mean, sigma) in price units of every product as of `now_ns` (the ETF and FLY derived)."""
    tide = tide or TideEstimator(data, start_ns, end_ns)
    weather = weather or WeatherEstimator(data, start_ns, end_ns)
    flights = flights or FlightEstimator(data, start_ns, end_ns)
    out: dict[str, tuple[float, float]] = {}
    out["TIDE_SPOT"], out["TIDE_SWING"] = tide.at(now_ns)
    out["WX_SPOT"], out["WX_SUM"] = weather.at(now_ns)
    out["LHR_COUNT"], out["LHR_INDEX"] = flights.at(now_ns)
    mean = sum(out[p][0] for p in BASKET)
    sigma = math.sqrt(sum(out[p][1] ** 2 for p in BASKET))
    out["LON_ETF"] = (mean, sigma)
    out["LON_FLY"] = (expected_fly(mean, sigma), 2 * sigma)  # |slope| <= 2 bounds its spread
    return out


def information_fair_values(data: AsOfData, tick_sizes: dict[str, int], start_ns: int, end_ns: int,
                            open_ns: int, close_ns: int) -> dict[str, FairValuePath]:
    """Fair value paths of every product over [open_ns, close_ns], from the data as published."""
    tide = TideEstimator(data, start_ns, end_ns)
    weather = WeatherEstimator(data, start_ns, end_ns)
    flights = FlightEstimator(data, start_ns, end_ns)
    steps = max(0, -(-(close_ns - open_ns) // GRID_NS))
    ticks: dict[str, list[int]] = {p: [] for p in tick_sizes}
    sigmas: dict[str, list[float]] = {p: [] for p in tick_sizes}
    for k in range(steps + 1):
        estimates = estimate_all(data, start_ns, end_ns, open_ns + k * GRID_NS, tide, weather, flights)
        for product, (mean, sigma) in estimates.items():
            if product in ticks and product != "LON_ETF":
                ticks[product].append(max(1, round(mean / tick_sizes[product])))
                sigmas[product].append(sigma / tick_sizes[product])
        if "LON_ETF" in ticks:  # exactly the basket's fair value, whatever the rounding of each part
            basket = sum(ticks[p][-1] * tick_sizes[p] for p in BASKET)
            ticks["LON_ETF"].append(max(1, round(basket / tick_sizes["LON_ETF"])))
            sigmas["LON_ETF"].append(estimates["LON_ETF"][1] / tick_sizes["LON_ETF"])
    return {p: FairValuePath(open_ns, ticks[p], sigmas[p]) for p in tick_sizes}
