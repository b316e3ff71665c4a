"""The exchange's trade tape: every trade, oldest first, with strictly increasing timestamps."""

from __future__ import annotations

from bisect import bisect_left
from typing import NamedTuple

_new = tuple.__new__  # builds a NamedTuple without its Python-level __new__ (hot path)


class Trade(NamedTuple):
    ts: int  # nanoseconds UTC, unique on the tape
    product: str
    buyer: str
    seller: str
    volume: int
    price: int  # ticks


class TradeTape:
    def __init__(self) -> None:
        self.trades: list[Trade] = []
        self._times: list[int] = []
        self._last_price: dict[str, int] = {}

    def record(self, ts: int, product: str, buyer: str, seller: str, volume: int, price: int) -> Trade:
        """Append a trade. Trades printed in the same nanosecond (one order's fills) are spread 1 ns
        apart, because clients compare timestamps as strings and expect them to increase."""
        times = self._times
        if times and ts <= times[-1]:
            ts = times[-1] + 1
        trade = _new(Trade, (ts, product, buyer, seller, volume, price))
        self.trades.append(trade)
        times.append(ts)
        self._last_price[product] = price
        return trade

    def since(self, ts: int | None = None) -> list[Trade]:
        """Trades at or after `ts` (all trades without it)."""
        if ts is None:
            return list(self.trades)
        return self.trades[bisect_left(self._times, ts):]

    def index_at(self, ts: int | None) -> int:
        """The index of the first trade at or after `ts` (0 without it): a binary search."""
        return 0 if ts is None else bisect_left(self._times, ts)

    def last_price(self, product: str) -> int | None:
        return self._last_price.get(product)

    def __len__(self) -> int:
        return len(self.trades)
