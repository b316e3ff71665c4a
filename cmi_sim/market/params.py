"""The synthetic market's settings: a frozen value built from a session's `[market.params]` table."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from types import MappingProxyType
from typing import Any

# Each maker's half spread in ticks is drawn from [low, high] of its product. The inside spread of the
# book is then about twice the tightest maker's half spread: close to the live challenge's (2-3 ticks on
# TIDE_SPOT and LON_ETF, 4-6 on WX_SPOT and WX_SUM, 1-12 on LHR_COUNT, 35-70 on LON_FLY).
HALF_SPREAD_TICKS: Mapping[str, tuple[int, int]] = MappingProxyType({
    "TIDE_SPOT": (1, 3),
    "TIDE_SWING": (1, 3),
    "WX_SPOT": (1, 4),
    "WX_SUM": (2, 4),
    "LHR_COUNT": (2, 6),
    "LHR_INDEX": (2, 8),
    "LON_ETF": (1, 3),
    "LON_FLY": (15, 40),
})


def _half_spreads(value: Any) -> Mapping[str, tuple[int, int]]:
    """`half_spread_ticks = {TIDE_SPOT = [1, 3], ...}`: overrides per product, the rest default."""
    if not isinstance(value, Mapping):
        raise ValueError(f"[market.params].half_spread_ticks must be a table of product = [low, high], got {value!r}")
    out = dict(HALF_SPREAD_TICKS)
    for product, pair in value.items():
        if product not in HALF_SPREAD_TICKS:
            raise ValueError(f"[market.params].half_spread_ticks: unknown product {product!r}")
        if (not isinstance(pair, (list, tuple)) or len(pair) != 2 or not all(type(v) is int for v in pair)
                or not 1 <= pair[0] <= pair[1]):
            raise ValueError(f"[market.params].half_spread_ticks.{product} must be [low, high] with "
                             f"1 <= low <= high, got {pair!r}")
        out[product] = (pair[0], pair[1])
    return MappingProxyType(out)


@dataclass(frozen=True)
class MarketParams:
    """Defaults are calibrated to what the public records show of the live challenge books
    (real-market-observations.md; `cmi-sim sessions NAME --calibration` prints both): thin, a few levels
    of 1-20 lots with an occasional 50-90 lot quote, spreads of a few ticks, far-off quotes and a handful
    of fat-finger fills."""

    makers_per_product: int = 2
    requote_min_s: int = 2  # a maker wakes every requote_min_s..requote_max_s virtual seconds
    requote_max_s: int = 8
    levels_max: int = 3  # price levels per side per maker (1..levels_max, redrawn when its opinion changes)
    size_max: int = 20  # ordinary quote size 1..size_max
    big_size_min: int = 50  # occasional big quote
    big_size_max: int = 90
    big_size_percent: int = 5
    # How makers see the fair value: late (a lag of view_lag_min_s..view_lag_max_s behind the data),
    # now and then (a refresh every view_refresh_min_s..view_refresh_max_s, held in between), and with an
    # opinion of up to view_noise_permille of the estimate's uncertainty (which shrinks as the day goes).
    view_lag_min_s: int = 0
    view_lag_max_s: int = 120
    view_refresh_min_s: int = 5
    view_refresh_max_s: int = 300
    view_noise_permille: int = 40
    fill_lesson_percent: int = 100  # how far a fill moves its maker's view, in % of its half spread
    etf_basket_weight_percent: int = 90  # LON_ETF makers centre this much on the basket's book mids
    noise_traders: int = 8
    noise_interval_s: int = 20  # mean seconds between one noise trader's takes
    noise_size_max: int = 10
    arbitrageurs: int = 1  # take LON_ETF against its basket when the books leave an edge
    arb_check_s: int = 5  # mean seconds between looks at the books
    arb_delay_min_ms: int = 300  # from seeing an edge to trading it
    arb_delay_max_ms: int = 3000
    arb_edge_ticks: int = 3  # the least edge (after crossing the spreads) worth taking
    arb_size_max: int = 5
    far_off_interval_s: int = 600  # mean seconds between far-off quotes (all products)
    far_off_lifetime_min_s: int = 600
    far_off_lifetime_max_s: int = 3600
    fat_fingers_per_day: int = 4
    half_spread_ticks: Mapping[str, tuple[int, int]] = field(default_factory=lambda: HALF_SPREAD_TICKS)

    def __post_init__(self) -> None:
        for f in fields(self):
            if f.name == "half_spread_ticks":
                object.__setattr__(self, f.name, _half_spreads(self.half_spread_ticks))
                continue
            value = getattr(self, f.name)
            if type(value) is not int or value < 0:
                raise ValueError(f"[market.params].{f.name} must be a non-negative integer, got {value!r}")
        for low, high in (("requote_min_s", "requote_max_s"), ("big_size_min", "big_size_max"),
                          ("far_off_lifetime_min_s", "far_off_lifetime_max_s"), ("view_lag_min_s", "view_lag_max_s"),
                          ("view_refresh_min_s", "view_refresh_max_s"), ("arb_delay_min_ms", "arb_delay_max_ms")):
            if getattr(self, low) > getattr(self, high):
                raise ValueError(f"[market.params].{low} must not exceed {high}")
        for name in ("requote_min_s", "levels_max", "size_max", "noise_interval_s", "far_off_interval_s",
                     "noise_size_max", "big_size_min", "arb_check_s", "arb_size_max"):
            if getattr(self, name) == 0:
                raise ValueError(f"[market.params].{name} must be positive")
        if self.etf_basket_weight_percent > 100:
            raise ValueError("[market.params].etf_basket_weight_percent must be at most 100")

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> MarketParams:
        """Build from `[market.params]`, rejecting unknown keys by name."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"unknown [market.params] setting(s): {', '.join(unknown)} "
                             f"(known: {', '.join(sorted(known))})")
        return cls(**dict(values))
