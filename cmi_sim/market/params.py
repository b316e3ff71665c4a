"""The synthetic market's settings: a frozen value built from a session's `[market.params]` table."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any


@dataclass(frozen=True)
class MarketParams:
    """Defaults are calibrated to the live London books (cmi-api.md, "Reference values seen live"):
    thin, a few levels of 1-20 lots with an occasional 50-90 lot quote, tens of thousands of trades a day,
    far-off quotes and a handful of fat-finger fills."""

    makers_per_product: int = 2
    requote_min_s: int = 2  # a maker wakes every requote_min_s..requote_max_s virtual seconds
    requote_max_s: int = 8
    spread_bps_min: int = 8  # each maker's half spread, in basis points of the fair value (>= 1 tick)
    spread_bps_max: int = 50
    levels_max: int = 3  # price levels per side per maker (1..levels_max, redrawn when its opinion changes)
    size_max: int = 20  # ordinary quote size 1..size_max
    big_size_min: int = 50  # occasional big quote
    big_size_max: int = 90
    big_size_percent: int = 5
    noise_traders: int = 8
    noise_interval_s: int = 20  # mean seconds between one noise trader's takes
    noise_size_max: int = 10
    far_off_interval_s: int = 600  # mean seconds between far-off quotes (all products)
    far_off_lifetime_min_s: int = 600
    far_off_lifetime_max_s: int = 3600
    fat_fingers_per_day: int = 4
    fair_volatility_bps: int = 400  # std of the fair value's path at mid-session, in bps of settlement
    prior_error_bps: int = 800  # std of the prior when the starting price is no guide

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if type(value) is not int or value < 0:
                raise ValueError(f"[market.params].{f.name} must be a non-negative integer, got {value!r}")
        for low, high in (("requote_min_s", "requote_max_s"), ("spread_bps_min", "spread_bps_max"),
                          ("big_size_min", "big_size_max"), ("far_off_lifetime_min_s", "far_off_lifetime_max_s")):
            if getattr(self, low) > getattr(self, high):
                raise ValueError(f"[market.params].{low} must not exceed {high}")
        for name in ("requote_min_s", "levels_max", "size_max", "noise_interval_s", "far_off_interval_s",
                     "noise_size_max", "big_size_min"):
            if getattr(self, name) == 0:
                raise ValueError(f"[market.params].{name} must be positive")

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> MarketParams:
        """Build from `[market.params]`, rejecting unknown keys by name."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"unknown [market.params] setting(s): {', '.join(unknown)} "
                             f"(known: {', '.join(sorted(known))})")
        return cls(**dict(values))
