"""Per-account request-rate accounting: requests counted per whole second of exchange time."""

from __future__ import annotations

from dataclasses import dataclass, field

_SECOND = 1_000_000_000


@dataclass
class RateStats:
    requests: int = 0
    violations: int = 0  # requests beyond the allowance within their second
    window: int = -1  # the second being counted
    in_window: int = 0
    by_endpoint: dict[str, int] = field(default_factory=dict)  # violations per endpoint label


class RateMeter:
    """Counts REST requests per account per second. `record` says whether a request is within the rule;
    the caller decides whether to report or enforce."""

    def __init__(self, per_second: int = 1) -> None:
        self.per_second = per_second
        self._stats: dict[str, RateStats] = {}

    def record(self, account: str, ts: int, endpoint: str = "") -> bool:
        stats = self._stats.get(account)
        if stats is None:
            stats = self._stats[account] = RateStats()
        window = ts // _SECOND
        if window != stats.window:
            stats.window, stats.in_window = window, 0
        stats.in_window += 1
        stats.requests += 1
        if stats.in_window > self.per_second:
            stats.violations += 1
            stats.by_endpoint[endpoint] = stats.by_endpoint.get(endpoint, 0) + 1
            return False
        return True

    def stats(self, account: str) -> RateStats:
        return self._stats.get(account, RateStats())

    def accounts(self) -> list[str]:
        return list(self._stats)
