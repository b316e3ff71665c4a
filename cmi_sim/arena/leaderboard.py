"""The arena's leaderboard: the competition score over the participants, and what each bot did.

Entries are ordered by score (then total PnL, then participant order), each with at least `bot`,
`account`, `status`, `total_pnl` and `score`. A participant that never logged in has no account and
scores 0; the score is computed over the participants' accounts only (the synthetic market's makers
are not competitors).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from cmi_sim.exchange import competition_score

__all__ = ["build_leaderboard", "render_leaderboard"]


def build_leaderboard(entries: Sequence[Mapping[str, Any]], pnl: Mapping[str, Mapping[str, float]]) -> list[dict]:
    """`entries`: per participant (in participant order) `bot`, `name`, `account`, `status`, figures.
    `pnl[account][product]`: final PnL. Returns the ordered leaderboard with ranks."""
    accounts = [e["account"] for e in entries if e.get("account")]
    scores = competition_score({account: pnl.get(account, {}) for account in accounts})
    rows = []
    for order, entry in enumerate(entries):
        account = entry.get("account")
        by_product = dict(pnl.get(account, {})) if account else {}
        row = dict(entry)
        row["pnl"] = {product: by_product[product] for product in sorted(by_product)}
        row["total_pnl"] = float(sum(by_product.values()))
        row["score"] = scores.get(account, 0.0) if account else 0.0
        row["_order"] = order
        rows.append(row)
    rows.sort(key=lambda r: (-r["score"], -r["total_pnl"], r["_order"]))
    for rank, row in enumerate(rows, 1):
        row["rank"] = rank
        row["participant"] = row.pop("_order") + 1
    return rows


def render_leaderboard(leaderboard: Sequence[Mapping[str, Any]], facts: Sequence[tuple[str, str]]) -> None:
    from rich.console import Console
    from rich.table import Table

    import sys

    console = Console(width=None if sys.stdout.isatty() else 132)  # piped output: names whole, not cut
    table = Table(title="cmi-sim arena: leaderboard", show_header=True, header_style="bold")
    for column, justify in (("#", "right"), ("bot", "left"), ("account", "left"), ("status", "left"),
                            ("score", "right"), ("total PnL", "right"), ("fills", "right"), ("volume", "right"),
                            ("requests", "right"), ("violations", "right")):
        table.add_column(column, justify=justify)
    for row in leaderboard:
        status = row["status"] if row["status"] == "completed" else f"[red]{row['status']}[/red]"
        table.add_row(str(row["rank"]), row["name"], row.get("account") or "-", status, f"{row['score']:.4f}",
                      f"{row['total_pnl']:,.2f}", str(row.get("fills", 0)), str(row.get("volume", 0)),
                      str(row.get("requests", 0)), str(row.get("rate_violations", 0)))
    console.print(table)
    products = sorted({p for row in leaderboard for p in row["pnl"]})
    if products:
        by_product = Table(title="PnL per product", show_header=True, header_style="bold")
        by_product.add_column("bot")
        for product in products:
            by_product.add_column(product, justify="right")
        for row in leaderboard:
            by_product.add_row(row["name"], *(f"{row['pnl'].get(p, 0.0):,.2f}" for p in products))
        console.print(by_product)
    details = Table(show_header=False, box=None)
    details.add_column(style="dim")
    details.add_column()
    for name, value in facts:
        details.add_row(name, value)
    console.print(details)
