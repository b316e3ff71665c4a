"""Metrics of a backtest: pure functions over the event log the child wrote (`events.jsonl`).

The log holds every exchange event; a run's figures for one account are derived from its fills (and
everyone's trades, for marks) and its rejections.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter, deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from statistics import median_low

from cmi_sim.exchange import competition_score

_NEEDLES = (b'"type":"Fill"', b'"type":"OrderRejected"', b'"type":"TapePrint"')


def read_relevant_events(path: Path) -> tuple[list[dict], str]:
    """The fills, rejections and tape prints in an event log, and the log's sha256 (its identity)."""
    digest = hashlib.sha256()
    events = []
    with path.open("rb") as log:
        for line in log:
            digest.update(line)
            if line.startswith(_NEEDLES, 1):  # the type is the first field of every record
                events.append(json.loads(line))
    return events, digest.hexdigest()


@dataclass
class AccountFigures:
    """One account's trading, from the log."""

    fills: list[dict] = field(default_factory=list)  # ts, product, side, price, volume, counterparty
    equity: list[tuple[int, float]] = field(default_factory=list)  # (ts, mark-to-market PnL)
    volume: int = 0
    max_abs_position: int = 0
    max_drawdown: float = 0.0
    rejections: dict[str, int] = field(default_factory=dict)


MARK_WINDOW = 11  # trades per product whose median marks the equity curve


def account_figures(events: list[dict], user: str, starting_prices: Mapping[str, float],
                    final: Mapping[str, float] | None = None, end_ns: int | None = None) -> AccountFigures:
    """Fills, equity curve, traded volume, largest absolute position, maximum drawdown and rejections by
    reason for `user`.

    The equity curve marks positions at the median of each product's last 11 trade prices (the starting
    price before any): the exchange marks at the last trade, but one fat-finger print would then swing
    the curve, and the drawdown, by orders of magnitude. `final` (PnL per product after settlement)
    closes the curve at `end_ns`."""
    figures = AccountFigures()
    recent: dict[str, deque[float]] = {}
    marks = dict(starting_prices)
    positions: dict[str, int] = {}
    cash: dict[str, float] = {}
    rejections: Counter[str] = Counter()
    peak = 0.0
    for event in events:
        kind = event["type"]
        if kind == "OrderRejected":
            if event["owner"] == user:
                rejections[event["reason"]] += 1
            continue
        product, price, volume = event["product"], event["price"], event["volume"]
        window = recent.get(product)
        if window is None:
            window = recent[product] = deque(maxlen=MARK_WINDOW)
        window.append(price)
        marks[product] = median_low(window)
        if kind == "TapePrint":  # a replayed trade between others: it only moves the mark
            if positions.get(product):
                _append_equity(figures, event["ts"], positions, cash, marks)
            continue
        buyer = event["taker"] if event["taker_side"] == 1 else event["maker"]
        seller = event["maker"] if event["taker_side"] == 1 else event["taker"]
        if user not in (buyer, seller):
            if positions.get(product):
                _append_equity(figures, event["ts"], positions, cash, marks)
            continue
        for side, who, other in ((1, buyer, seller), (-1, seller, buyer)):
            if who != user:
                continue
            positions[product] = positions.get(product, 0) + side * volume
            cash[product] = cash.get(product, 0.0) - side * volume * price
            figures.volume += volume
            figures.max_abs_position = max(figures.max_abs_position, abs(positions[product]))
            figures.fills.append({"ts": event["ts"], "product": product, "side": "BUY" if side == 1 else "SELL",
                                  "price": float(price), "volume": volume, "counterparty": other,
                                  "aggressor": event["taker"] == user})
        _append_equity(figures, event["ts"], positions, cash, marks)
    if final is not None and end_ns is not None:
        figures.equity.append((end_ns, float(sum(final.values()))))
    for _, value in figures.equity:
        peak = max(peak, value)
        figures.max_drawdown = max(figures.max_drawdown, peak - value)
    figures.rejections = dict(sorted(rejections.items()))
    return figures


def _append_equity(figures: AccountFigures, ts: int, positions: Mapping[str, int], cash: Mapping[str, float],
                   marks: Mapping[str, float]) -> None:
    value = sum(cash.get(p, 0.0) + pos * marks[p] for p, pos in positions.items())
    if figures.equity and figures.equity[-1][0] == ts:
        figures.equity[-1] = (ts, value)
    else:
        figures.equity.append((ts, value))


def score_of(pnl: Mapping[str, Mapping[str, float]], user: str) -> float:
    """The competition score of `user` among every account that traded."""
    return competition_score(pnl).get(user, 0.0)
