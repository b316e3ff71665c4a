"""Ranking settings by how well they hold up across seeds and sessions, not by their luckiest run.

For each setting, over its runs: the mean of the objective, its spread (sample standard deviation, 0 for
one run), the worst and best run, and `robust = mean - spread`. Settings with a broken run rank last;
the rest by `robust`, then by the worst run, then by the mean. The same `robust` figure is what Optuna
maximises.
"""

from __future__ import annotations

import math
from typing import Any

OBJECTIVES = ("total_pnl", "score", "sharpe")


def robust_value(values: list[float]) -> tuple[float, float, float]:
    """(mean, spread, mean - spread) of one setting's objective values."""
    mean = sum(values) / len(values)
    spread = math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1)) if len(values) > 1 else 0.0
    return mean, spread, mean - spread


def rank(frame, param_names: list[str], objective: str):
    """A table with one row per setting, best first (`rank` 1)."""
    import pandas as pd

    columns = [*param_names, "runs", "broken", "mean", "spread", "worst", "best", "robust"]
    rows: list[dict[str, Any]] = []
    if len(frame):
        for key, group in frame.groupby(param_names, sort=False, dropna=False):
            key = key if isinstance(key, tuple) else (key,)
            good = group[group["status"] == "ok"][objective].astype(float).tolist()
            broken = int((group["status"] != "ok").sum())
            mean, spread, robust = robust_value(good) if good else (math.nan, math.nan, math.nan)
            rows.append({**dict(zip(param_names, key)), "runs": len(group), "broken": broken, "mean": mean,
                         "spread": spread, "worst": min(good) if good else math.nan,
                         "best": max(good) if good else math.nan, "robust": robust})
    table = pd.DataFrame.from_records(rows, columns=columns)
    if len(table):
        table = table.assign(_ok=table["broken"] == 0).sort_values(
            ["_ok", "robust", "worst", "mean"], ascending=False, na_position="last", kind="stable"
        ).drop(columns="_ok")
    table.insert(0, "rank", range(1, len(table) + 1))
    return table.reset_index(drop=True)


def render_ranking(table, param_names: list[str], objective: str, limit: int = 10) -> None:
    from rich.console import Console
    from rich.table import Table

    shown = Table(title=f"settings ranked by robustness of {objective} (mean - spread over seeds)",
                  header_style="bold")
    for column in ["rank", *param_names, "runs", "broken", "mean", "spread", "worst", "best", "robust"]:
        shown.add_column(column, justify="left" if column in param_names else "right")
    for row in table.head(limit).to_dict(orient="records"):
        cells = [str(row["rank"]), *(str(row[name]) for name in param_names), str(row["runs"]), str(row["broken"])]
        cells += [_number(row[c]) for c in ("mean", "spread", "worst", "best", "robust")]
        shown.add_row(*cells)
    console = Console(width=max(120, Console().width))
    console.print(shown)
    if len(table) > limit:
        console.print(f"  ... {len(table) - limit} more settings in ranking.csv")


def _number(value: float) -> str:
    return "-" if value != value else f"{value:,.4f}" if abs(value) < 10 else f"{value:,.1f}"
