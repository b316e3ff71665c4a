"""One account's trading over a run, read from the exchange's own event log once the run is over.

Positions and cash move through the exchange's own `Ledger` (the same arithmetic the exchange used), and
the final state is checked against the exchange's, so the record cannot drift from what the exchange
says. Built in the child after the session from the trades its event sink kept (`run_sink.py`), so it
works whatever the events mode.

The timeline marks positions at the median of each product's last 11 trade prices (the starting price
before any): the exchange marks at the last trade, but one fat-finger print would then swing the curve,
and the drawdown, by orders of magnitude. The run's final PnL is the exchange's own (after settlement,
or at its mark rule when the run stops earlier), and closes the curve.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Mapping
from statistics import median_low
from typing import Any

from cmi_sim.engine import Fill, TapePrint
from cmi_sim.exchange.ledger import Ledger

MARK_WINDOW = 11  # trades per product whose median marks the timeline
FILL_COLUMNS = ("ts", "order_id", "product", "side", "price", "volume", "counterparty", "aggressor",
                "position_after", "cash_after")


def trading_record(log: Iterable[Any], user: str, products: Mapping[str, Any],
                   encode_order_id: Callable[[int], str], final_pnl: Mapping[str, float] | None,
                   end_ns: int) -> dict[str, Any]:
    """`{"fills": {"columns", "rows"}, "timeline": {"columns", "rows"}, "positions": {...}}` for `user`.

    `products`: symbol -> Product (starting price, tick size), in exchange order. The timeline has a row
    whenever the account's value may change (its fills; trades in products it holds): time, equity
    (total PnL), cash, and per product position and PnL."""
    symbols = list(products)
    index = {symbol: i for i, symbol in enumerate(symbols)}
    ticks = [products[s].tick_size for s in symbols]
    marks = [float(products[s].starting_price * products[s].tick_size) for s in symbols]
    recent: list[deque[int]] = [deque(maxlen=MARK_WINDOW) for _ in symbols]
    ledger = Ledger()
    positions = [0] * len(symbols)
    cash = [0] * len(symbols)  # ticks x contracts, as the ledger keeps it
    fills: list[tuple] = []
    rows: list[list[float]] = []

    def row(ts: int) -> None:
        pnl = [cash[i] * ticks[i] + positions[i] * marks[i] for i in range(len(symbols))]
        values = [ts, float(sum(pnl)), float(sum(c * t for c, t in zip(cash, ticks))), *positions, *pnl]
        if rows and rows[-1][0] == ts:
            rows[-1] = values
        else:
            rows.append(values)

    for event in log:
        kind = type(event)
        if kind is not Fill and kind is not TapePrint:
            continue
        i = index.get(event.product)
        if i is None:
            continue
        window = recent[i]
        window.append(event.price)
        marks[i] = float(median_low(window) * ticks[i])
        if kind is TapePrint:  # a replayed trade between others: it only moves the mark
            if positions[i]:
                row(event.ts)
            continue
        buyer, seller = (event.taker, event.maker) if event.taker_side == 1 else (event.maker, event.taker)
        if user != buyer and user != seller:
            if positions[i]:
                row(event.ts)
            continue
        ledger.apply_trade(event.product, buyer, seller, event.volume, event.price)
        positions[i] = ledger.positions[user][event.product]
        cash[i] = ledger.cash[user][event.product]
        mine_as_taker = event.taker == user
        order = event.taker_order_id if mine_as_taker else event.maker_order_id
        side = "BUY" if buyer == user else "SELL"
        fills.append((event.ts, encode_order_id(order), event.product, side, float(event.price * ticks[i]),
                      event.volume, seller if side == "BUY" else buyer, mine_as_taker, positions[i],
                      float(cash[i] * ticks[i])))
        row(event.ts)
    if final_pnl is not None:
        pnl = [float(final_pnl.get(s, 0.0)) for s in symbols]
        rows.append([end_ns, float(sum(pnl)), float(sum(c * t for c, t in zip(cash, ticks))), *positions, *pnl])
    columns = ["ts", "equity", "cash", *(f"position.{s}" for s in symbols), *(f"pnl.{s}" for s in symbols)]
    return {
        "fills": {"columns": list(FILL_COLUMNS), "rows": fills},
        "timeline": {"columns": columns, "rows": rows},
        "positions": {s: positions[i] for i, s in enumerate(symbols) if s in ledger.positions.get(user, {})},
    }


def check_against_exchange(record: Mapping[str, Any], exchange_positions: Mapping[str, int]) -> str | None:
    """None when the record's final positions are the exchange's; else what differs (a simulator bug)."""
    mine = {k: v for k, v in record["positions"].items()}
    theirs = dict(exchange_positions)
    return None if mine == theirs else f"positions from the log {mine} != the exchange's {theirs}"
