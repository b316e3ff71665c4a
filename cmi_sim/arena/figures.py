"""Every participant's trading, from one pass over the run's event journal (`events.jsonl`).

The journal is read line by line (never held whole): fills update each participant's position, cash,
volume and equity curve (refused requests are counted by the venue as they happen, as in a backtest).
Equity marks positions at the median of a product's last 11 trade prices (the starting price before
any), as the backtest's figures do: one fat-finger print would otherwise swing the curve. The journal's sha256 is the run's events identity.
"""

from __future__ import annotations

import hashlib
import json
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from statistics import median_low

__all__ = ["AccountFigures", "journal_figures", "write_run_tables", "write_tables"]

MARK_WINDOW = 11
_NEEDLES = (b'"type":"Fill"', b'"type":"TapePrint"')
FILL_COLUMNS = ["ts", "product", "side", "price", "volume", "counterparty", "aggressor"]


@dataclass
class AccountFigures:
    fills: list[tuple] = field(default_factory=list)  # FILL_COLUMNS
    equity: list[tuple[int, float]] = field(default_factory=list)  # (ts, mark-to-market PnL)
    volume: int = 0
    max_abs_position: int = 0
    max_drawdown: float = 0.0
    positions: dict[str, int] = field(default_factory=dict)
    cash: dict[str, float] = field(default_factory=dict)
    _peak: float = 0.0

    def _mark(self, ts: int, marks: Mapping[str, float]) -> None:
        value = sum(self.cash.get(p, 0.0) + position * marks[p] for p, position in self.positions.items())
        if self.equity and self.equity[-1][0] == ts:
            self.equity[-1] = (ts, value)
        else:
            self.equity.append((ts, value))
        self._peak = max(self._peak, value)
        self.max_drawdown = max(self.max_drawdown, self._peak - value)


def journal_figures(path: Path, accounts: Iterable[str], starting_prices: Mapping[str, float],
                    final: Mapping[str, Mapping[str, float]] | None = None,
                    end_ns: int | None = None) -> tuple[dict[str, AccountFigures], str]:
    """(figures per account, sha256 of the journal). `final[account]`: PnL per product after settlement,
    which closes each equity curve at `end_ns`."""
    figures = {account: AccountFigures() for account in accounts}
    recent: dict[str, deque[float]] = {}
    marks = dict(starting_prices)
    digest = hashlib.sha256()
    with path.open("rb") as journal:
        for line in journal:
            digest.update(line)
            if not line.startswith(_NEEDLES, 1):  # the type is the first field of every record
                continue
            event = json.loads(line)
            kind = event["type"]
            product, price, volume, ts = event["product"], event["price"], event["volume"], event["ts"]
            window = recent.get(product)
            if window is None:
                window = recent[product] = deque(maxlen=MARK_WINDOW)
            window.append(price)
            marks[product] = median_low(window)
            if kind == "TapePrint":
                buyer = seller = None
            else:
                taker_buys = event["taker_side"] == 1
                buyer = event["taker"] if taker_buys else event["maker"]
                seller = event["maker"] if taker_buys else event["taker"]
            for account, mine in figures.items():
                if account == buyer or account == seller:
                    for side, who, other in ((1, buyer, seller), (-1, seller, buyer)):
                        if who != account:
                            continue
                        position = mine.positions.get(product, 0) + side * volume
                        mine.positions[product] = position
                        mine.cash[product] = mine.cash.get(product, 0.0) - side * volume * price
                        mine.volume += volume
                        mine.max_abs_position = max(mine.max_abs_position, abs(position))
                        mine.fills.append((ts, product, "BUY" if side == 1 else "SELL", float(price), volume,
                                           other, event["taker"] == account))
                    mine._mark(ts, marks)
                elif mine.positions.get(product):
                    mine._mark(ts, marks)
    for account, mine in figures.items():
        if final is not None and end_ns is not None and account in final:
            mine.equity.append((end_ns, float(sum(final[account].values()))))
            mine._peak = max(mine._peak, mine.equity[-1][1])
            mine.max_drawdown = max(mine.max_drawdown, mine._peak - mine.equity[-1][1])
    return figures, digest.hexdigest()


def write_tables(directory: Path, figures: AccountFigures) -> None:
    """fills.parquet, equity.parquet and equity.png for one participant."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd

    fills = pd.DataFrame(figures.fills, columns=FILL_COLUMNS)
    fills["time"] = pd.to_datetime(fills["ts"], unit="ns", utc=True)
    fills.to_parquet(directory / "fills.parquet", index=False)
    equity = pd.DataFrame(figures.equity, columns=["ts", "equity"])
    equity["time"] = pd.to_datetime(equity["ts"], unit="ns", utc=True)
    equity.to_parquet(directory / "equity.parquet", index=False)
    figure, axes = plt.subplots(figsize=(9, 3.5), dpi=100)
    if len(equity):
        axes.step(equity["time"], equity["equity"], where="post", linewidth=1.2)
    axes.axhline(0, color="grey", linewidth=0.6)
    axes.set_title(f"Mark-to-market PnL: {directory.name}")
    figure.autofmt_xdate()
    figure.tight_layout()
    figure.savefig(directory / "equity.png")
    plt.close(figure)


def write_run_tables(run_dir: Path, figures: Mapping[str, AccountFigures]) -> None:
    """fills.parquet and equity.parquet of the whole run, one `account` column naming the participant."""
    import pandas as pd

    fills = pd.DataFrame([(account, *row) for account, mine in figures.items() for row in mine.fills],
                         columns=["account", *FILL_COLUMNS])
    fills["time"] = pd.to_datetime(fills["ts"], unit="ns", utc=True)
    fills.sort_values(["ts", "account"], kind="stable").to_parquet(run_dir / "fills.parquet", index=False)
    equity = pd.DataFrame([(account, *row) for account, mine in figures.items() for row in mine.equity],
                          columns=["account", "ts", "equity"])
    equity["time"] = pd.to_datetime(equity["ts"], unit="ns", utc=True)
    equity.sort_values(["ts", "account"], kind="stable").to_parquet(run_dir / "equity.parquet", index=False)
