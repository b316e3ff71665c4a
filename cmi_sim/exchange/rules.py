"""The exchange's rule settings: a frozen value, validated on construction, hashed into every run."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, fields

ORDER_VOLUME_CHOICES = ("remaining", "original")
RATE_LIMIT_CHOICES = ("off", "report", "enforce")
SELF_TRADE_CHOICES = ("allow", "prevent")
MARK_CHOICES = ("last", "mid")


@dataclass(frozen=True)
class ExchangeRules:
    """The settings of `cmi-api.md` ("Exchange rules"); defaults are the real exchange's where known."""

    position_limit: int = 100
    # Count the caller's resting same-side volume against the limit, so no later fill can take the
    # position past it (the real exchange's positions sat at exactly the limit, never beyond).
    limit_counts_resting: bool = True
    order_volume: str = "remaining"  # what an order's `volume` field reports: remaining or original size
    rate_limit: str = "report"  # off | report (count violations) | enforce (reject with 429)
    requests_per_second: int = 1
    self_trade: str = "allow"  # allow | prevent (the incoming order cancels the owner's resting order)
    mark: str = "last"  # mark-to-market price: last trade (falling back to the starting price) or mid
    max_order_volume: int = 1_000_000  # larger orders are rejected as absurd

    def __post_init__(self) -> None:
        for name, choices in (("order_volume", ORDER_VOLUME_CHOICES), ("rate_limit", RATE_LIMIT_CHOICES),
                              ("self_trade", SELF_TRADE_CHOICES), ("mark", MARK_CHOICES)):
            value = getattr(self, name)
            if value not in choices:
                raise ValueError(f"{name} must be one of {', '.join(choices)}; got {value!r}")
        for name in ("position_limit", "requests_per_second", "max_order_volume"):
            value = getattr(self, name)
            if type(value) is not int or value <= 0:
                raise ValueError(f"{name} must be a positive integer; got {value!r}")
        if type(self.limit_counts_resting) is not bool:
            raise ValueError(f"limit_counts_resting must be true or false; got {self.limit_counts_resting!r}")

    @classmethod
    def from_mapping(cls, values: dict) -> ExchangeRules:
        """Build from a settings table, rejecting unknown keys by name."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"unknown rule setting(s): {', '.join(unknown)} (known: {', '.join(sorted(known))})")
        return cls(**values)

    def digest(self) -> str:
        """A short stable hash of the settings, for run identification."""
        payload = json.dumps(asdict(self), sort_keys=True).encode()
        return hashlib.sha256(payload).hexdigest()[:16]
