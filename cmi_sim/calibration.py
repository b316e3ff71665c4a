"""How a session's market compares with the real CMI exchange: run the market alone, rebuild the books
from its events once a virtual minute, and measure per product what the public records show of the live
market (cmi_sim/market/real-market-observations.md): spread median and p90, mid range, trades per hour,
and LON_ETF's gap to its basket (TIDE_SPOT + WX_SPOT + LHR_COUNT).

The books are rebuilt from the event log, as a bot that only watches would rebuild them from
events.jsonl, not read from the engine: the figures test what a user would see.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from statistics import median

from cmi_sim.engine import Fill, OrderAccepted, OrderCancelled, OrderReduced
from cmi_sim.sessions import Session
from cmi_sim.simulation import Simulation

MINUTE_NS = 60 * 1_000_000_000
BASKET = ("TIDE_SPOT", "WX_SPOT", "LHR_COUNT")
ETF = "LON_ETF"


@dataclass(frozen=True)
class Sample:
    """Best bid and ask of every product at one minute (None: that side is empty)."""

    ts: int
    best: dict[str, tuple[int | None, int | None]]


class BookRebuilder:
    """Books (product -> side -> price -> open volume) kept from engine events in log order."""

    def __init__(self, products: list[str]) -> None:
        self.levels = {p: {1: {}, -1: {}} for p in products}
        self._orders: dict[int, list] = {}  # order id -> [product, side, price, open volume]
        self._early: dict[int, int] = {}  # taker fills seen before their acceptance (volume)

    def apply(self, event: object) -> None:
        kind = type(event)
        if kind is OrderAccepted:
            volume = event.volume - self._early.pop(event.order_id, 0)
            if volume > 0:
                self._orders[event.order_id] = [event.product, event.side, event.price, 0]
                self._change(event.order_id, volume)
        elif kind is Fill:
            if event.taker_order_id in self._orders:
                self._change(event.taker_order_id, -event.volume)
            else:
                self._early[event.taker_order_id] = self._early.get(event.taker_order_id, 0) + event.volume
            if event.maker_order_id in self._orders:
                order = self._orders[event.maker_order_id]
                self._change(event.maker_order_id, event.maker_remaining - order[3])
        elif kind is OrderCancelled:
            if event.order_id in self._orders:
                self._change(event.order_id, -self._orders[event.order_id][3])
        elif kind is OrderReduced and event.order_id in self._orders:
            self._change(event.order_id, -event.volume_removed)

    def _change(self, order_id: int, delta: int) -> None:
        order = self._orders[order_id]
        product, side, price, _ = order
        order[3] += delta
        level = self.levels[product][side]
        volume = level.get(price, 0) + delta
        if volume > 0:
            level[price] = volume
        else:
            level.pop(price, None)
        if order[3] <= 0:
            del self._orders[order_id]

    def best(self, product: str) -> tuple[int | None, int | None]:
        bids, asks = self.levels[product][1], self.levels[product][-1]
        return (max(bids) if bids else None, min(asks) if asks else None)


def run_market_alone(session: Session, seed: int | None = None, until_ns: int | None = None) -> Simulation:
    """The session's market from open to close (or `until_ns`) with no bot."""
    sim = Simulation(session, clock=lambda: 0, seed=seed)
    end = session.close_ns if until_ns is None else min(until_ns, session.close_ns)
    wake = sim.market_step(session.open_ns)
    while wake is not None and wake < end:
        wake = sim.market_step(wake)
    return sim


def minute_samples(events: Iterable, products: list[str], open_ns: int, close_ns: int) -> list[Sample]:
    """The books as rebuilt from events (in log order) at every whole virtual minute after the open."""
    books = BookRebuilder(products)
    samples: list[Sample] = []
    next_ns = open_ns + MINUTE_NS
    for event in events:
        ts = getattr(event, "ts", None)
        while ts is not None and ts >= next_ns and next_ns <= close_ns:
            samples.append(Sample(next_ns, {p: books.best(p) for p in products}))
            next_ns += MINUTE_NS
        books.apply(event)
    while next_ns <= close_ns:
        samples.append(Sample(next_ns, {p: books.best(p) for p in products}))
        next_ns += MINUTE_NS
    return samples


_BOOK_EVENTS = {cls.__name__: cls for cls in (OrderAccepted, Fill, OrderCancelled, OrderReduced)}


def events_from_jsonl(path: Path) -> Iterator[tuple]:
    """The book events of a run's events.jsonl, as the engine's event tuples (other lines skipped)."""
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            cls = _BOOK_EVENTS.get(record.pop("type", None))
            if cls is not None:
                yield cls(**record)


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (no interpolation); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))]


def _mid(best: tuple[int | None, int | None]) -> float | None:
    bid, ask = best
    return None if bid is None or ask is None else (bid + ask) / 2


@dataclass(frozen=True)
class ProductFigures:
    spread_median: float | None
    spread_p90: float | None
    mid_min: float | None
    mid_max: float | None
    trades_per_hour: float
    gap_median_bps: float | None = None  # LON_ETF only: |ETF mid - basket mids| / basket, bps
    gap_p90_bps: float | None = None


def measure(sim: Simulation, open_ns: int, close_ns: int) -> dict[str, ProductFigures]:
    """Per product figures of a run's market between `open_ns` and `close_ns`."""
    samples = minute_samples(sim.exchange.log, list(sim.exchange.products), open_ns, close_ns)
    hours = (close_ns - open_ns) / 3.6e12
    trades: dict[str, int] = {p: 0 for p in sim.exchange.products}
    for trade in sim.exchange.tape.since():
        if open_ns <= trade.ts <= close_ns:
            trades[trade.product] += 1
    gaps = etf_basket_gaps_bps(samples)
    out: dict[str, ProductFigures] = {}
    for product in sim.exchange.products:
        spreads = [ask - bid for bid, ask in (s.best[product] for s in samples) if bid is not None and ask is not None]
        mids = [m for m in (_mid(s.best[product]) for s in samples) if m is not None]
        is_etf = product == ETF
        out[product] = ProductFigures(
            spread_median=median(spreads) if spreads else None,
            spread_p90=percentile(spreads, 90),
            mid_min=min(mids) if mids else None,
            mid_max=max(mids) if mids else None,
            trades_per_hour=trades[product] / hours if hours else 0.0,
            gap_median_bps=median(gaps) if is_etf and gaps else None,
            gap_p90_bps=percentile(gaps, 90) if is_etf else None,
        )
    return out


def etf_basket_gaps_bps(samples: list[Sample]) -> list[float]:
    """|LON_ETF mid - (TIDE_SPOT + WX_SPOT + LHR_COUNT mids)| in bps of the basket, where all four books
    have both sides."""
    gaps = []
    for s in samples:
        etf = _mid(s.best[ETF])
        parts = [_mid(s.best[p]) for p in BASKET]
        if etf is None or any(p is None for p in parts):
            continue
        basket = sum(parts)
        gaps.append(abs(etf - basket) / basket * 10_000)
    return gaps


# --- the real figures ----------------------------------------------------------------------------


@lru_cache(maxsize=1)
def real_observations() -> dict:
    return json.loads((files("cmi_sim.market") / "real-market-observations.json").read_text(encoding="utf-8"))


def _entry(product: str, prefix: str) -> dict:
    for key, value in real_observations()["products"][product].items():
        if key.startswith(prefix):
            return value
    return {}


def real_figures(product: str) -> dict[str, str]:
    """What the records show of `product`, short, for a report: spreads as "challenge | TEST (p90)", mids as
    "challenge top of book | one team's fills p10-p90" (where from: REAL_SOURCES)."""
    challenge = _entry(product, "challenge_top_of_book")
    test = _entry(product, "TEST_exchange_book")
    fills = _entry(product, "challenge_fills_one_bot").get("2026-02-28", {})

    def num(value: float | None) -> str:
        return "?" if value is None else f"{value:g}" if value == int(value) else f"{value:.1f}"

    spread = f"{num(challenge.get('spread_median'))} | {num(test.get('spread_median'))} (p90 {num(test.get('spread_p90'))})"
    mids = f"{num(challenge.get('mid_min'))}-{num(challenge.get('mid_max'))} | {num(fills.get('px_p10'))}-{num(fills.get('px_p90'))}"
    return {"spread": spread, "mid": mids}


REAL_SOURCES = ("real spreads: challenge top of book, Mar 1 02:04-02:19 (median) | TEST exchange, Feb 28 15:49-15:51 "
                "(median, p90). Real mids: challenge top of book, Mar 1 02:04-02:19 | one team's fill prices, Feb 28 "
                "15:08-16:28 (p10-p90). Source: cmi_sim/market/real-market-observations.md")


def real_etf_gaps_bps() -> list[float]:
    """The ETF-basket gap at the few moments the records show all four books (challenge first/last
    snapshot, TEST first/last mid)."""
    gaps = []
    for which in ("first", "last"):
        rows = {p: _entry(p, "challenge_top_of_book").get(which) for p in (ETF, *BASKET)}
        if all(rows.values()):
            mids = {p: (row[1] + row[2]) / 2 for p, row in rows.items()}
            basket = sum(mids[p] for p in BASKET)
            gaps.append(abs(mids[ETF] - basket) / basket * 10_000)
        tests = {p: _entry(p, "TEST_exchange_book").get(f"mid_{which}") for p in (ETF, *BASKET)}
        if all(tests.values()):
            basket = sum(tests[p] for p in BASKET)
            gaps.append(abs(tests[ETF] - basket) / basket * 10_000)
    return gaps
