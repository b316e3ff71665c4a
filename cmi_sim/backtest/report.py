"""A backtest's report: the summary, the run directory and the console table.

The summary holds only what the simulation determines (same session, bot, seed and settings: same
summary, byte for byte), so `--expect` can compare it exactly; timings live beside it.
"""

from __future__ import annotations

import hashlib
import json
import platform
import threading
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

from cmi_sim import __version__
from cmi_sim.backtest.metrics import AccountFigures, account_figures, read_relevant_events, score_of

SUMMARY_VERSION = 1


def settings_hash(settings: Mapping[str, Any]) -> str:
    return hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:16]


def versions() -> dict[str, str]:
    names = ("gevent", "requests", "sseclient-py", "fastapi", "numpy", "pandas")
    found = {"cmi-sim": __version__, "python": platform.python_version()}
    for name in names:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    return found


def choose_user(world: Mapping[str, Any], requested: str | None) -> str | None:
    """The account reported on: the one asked for, else the first the bot logged in with."""
    if requested:
        return requested
    traders = world.get("traders") or []
    return traders[0] if traders else None


def build_summary(result: Mapping[str, Any], events_path: Path, user: str | None,
                  starting_prices: Mapping[str, float], end_ns: int) -> tuple[dict[str, Any], AccountFigures]:
    world = result.get("world") or {}
    events, events_sha = read_relevant_events(events_path)
    pnl_all: dict[str, dict[str, float]] = world.get("pnl") or {}
    pnl = pnl_all.get(user, {}) if user else {}
    figures = account_figures(events, user or "", starting_prices, pnl if world.get("settled") else None, end_ns)
    requests = (world.get("requests") or {}).get(user, {}) if user else {}
    bot = result.get("bot") or {}
    summary = {
        "summary_version": SUMMARY_VERSION,
        "session": world.get("session"),
        "market": _market_label(world.get("market") or {}),
        "user": user,
        "status": result.get("status"),
        "bot_outcome": bot.get("outcome"),
        "settled": bool(world.get("settled")),
        "pnl": {product: pnl[product] for product in sorted(pnl)},
        "total_pnl": float(sum(pnl.values())),
        "settlement": world.get("settlement"),
        "score": score_of(pnl_all, user) if user else 0.0,
        "fills": len(figures.fills),
        "volume": figures.volume,
        "max_abs_position": figures.max_abs_position,
        "max_drawdown": figures.max_drawdown,
        "rejections": figures.rejections,
        "requests": requests.get("requests", 0),
        "rate_violations": requests.get("violations", 0),
        "refused_requests": len(result.get("refused") or []),
        "blocked_network": len(result.get("blocked") or []),
        "virtual_end": result.get("virtual_end"),
        "events_sha256": events_sha,
    }
    return summary, figures


def _market_label(market: Mapping[str, Any]) -> str:
    """`synthetic`, `none`, or `replay (fill model queue)`: replayed fills are a model, always named."""
    kind = market.get("kind", "none")
    return f"{kind} (fill model {market['fill_model']})" if "fill_model" in market else kind


def prepare_in_background() -> threading.Thread:
    """Import what `write_tables` needs (pandas, pyarrow, matplotlib: about a second) on a thread while the
    child runs: the parent only waits meanwhile, and the child has the other core."""

    def load() -> None:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot  # noqa: F401
        import pandas  # noqa: F401
        import pyarrow.parquet  # noqa: F401

    thread = threading.Thread(target=load, name="report-imports", daemon=True)
    thread.start()
    return thread


def write_tables(run_dir: Path, figures: AccountFigures) -> None:
    """fills.parquet, equity.parquet and equity.png: files pandas reads directly."""
    import pandas as pd

    fills = pd.DataFrame(figures.fills, columns=["ts", "product", "side", "price", "volume", "counterparty",
                                                 "aggressor"])
    fills["time"] = pd.to_datetime(fills["ts"], unit="ns", utc=True)
    fills.to_parquet(run_dir / "fills.parquet", index=False)
    equity = pd.DataFrame(figures.equity, columns=["ts", "equity"])
    equity["time"] = pd.to_datetime(equity["ts"], unit="ns", utc=True)
    equity.to_parquet(run_dir / "equity.parquet", index=False)
    _plot_equity(run_dir / "equity.png", equity)


PLOT_BUCKETS = 1_500  # about two per horizontal pixel of the 900-pixel-wide figure


def _decimate(equity, buckets: int):
    """The rows a step plot needs to look the same at this width: in each of `buckets` equal slices of
    time, the first, lowest, highest and last point. A day of fills has tens of thousands of points;
    drawing them all cost a quarter of a second and showed nothing more."""
    if len(equity) <= 4 * buckets:
        return equity
    ts = equity["ts"]
    span = max(1, int(ts.iloc[-1]) - int(ts.iloc[0]))
    bucket = (ts - ts.iloc[0]) * buckets // span
    values = equity["equity"].groupby(bucket)
    positions = equity.index.to_series().groupby(bucket)
    keep = set(positions.first()) | set(positions.last()) | set(values.idxmin()) | set(values.idxmax())
    return equity.loc[sorted(keep)]


def _plot_equity(path: Path, equity) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(9, 3.5), dpi=100)
    if len(equity):
        shown = _decimate(equity, buckets=PLOT_BUCKETS)
        axes.step(shown["time"], shown["equity"], where="post", linewidth=1.2)
    axes.axhline(0, color="grey", linewidth=0.6)
    axes.set_title("Mark-to-market PnL")
    axes.set_ylabel("PnL")
    figure.autofmt_xdate()
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)


def expectation_diff(expected: Mapping[str, Any], actual: Mapping[str, Any], prefix: str = "") -> list[str]:
    """Readable differences between two summaries (exact comparison: runs are deterministic)."""
    lines = []
    for key in sorted(set(expected) | set(actual)):
        where = f"{prefix}{key}"
        if key not in actual:
            lines.append(f"{where}: expected {expected[key]!r}, missing")
        elif key not in expected:
            lines.append(f"{where}: not expected, got {actual[key]!r}")
        elif isinstance(expected[key], dict) and isinstance(actual[key], dict):
            lines.extend(expectation_diff(expected[key], actual[key], where + "."))
        elif expected[key] != actual[key]:
            lines.append(f"{where}: expected {expected[key]!r}, got {actual[key]!r}")
    return lines


def load_expected_summary(path: Path) -> dict[str, Any]:
    """A stored summary: a run.json (its `summary`) or a bare summary file."""
    data = json.loads(path.read_text())
    return data["summary"] if "summary" in data and isinstance(data["summary"], dict) else data


def render_summary(summary: Mapping[str, Any], timing: Mapping[str, Any], run_dir: Path) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    title = f"cmi-sim backtest: {summary['user']} on {summary['session']}"
    table = Table(title=title, show_header=True, header_style="bold")
    table.add_column("product")
    table.add_column("PnL", justify="right")
    table.add_column("settlement", justify="right")
    settlement = summary.get("settlement") or {}
    for product in settlement or summary["pnl"]:
        value = summary["pnl"].get(product)
        table.add_row(product, f"{value:,.2f}" if value is not None else "-",
                      f"{settlement[product]:,.2f}" if product in settlement else "-")
    table.add_row("[bold]total[/bold]", f"[bold]{summary['total_pnl']:,.2f}[/bold]", "")
    console.print(table)
    facts = Table(show_header=False, box=None)
    facts.add_column(style="dim")
    facts.add_column()
    rejections = ", ".join(f"{k} {v}" for k, v in summary["rejections"].items()) or "none"
    rows = [
        ("status", f"{summary['status']} (bot {summary['bot_outcome']})"
                   + ("" if summary["settled"] else f", stopped at {summary['virtual_end']} before settlement")),
        ("market", summary.get("market", "")),
        ("competition score", f"{summary['score']:.4f}"),
        ("fills / volume", f"{summary['fills']} / {summary['volume']}"),
        ("max |position|", str(summary["max_abs_position"])),
        ("max drawdown", f"{summary['max_drawdown']:,.2f}"),
        ("rejections", rejections),
        ("requests / rate-rule violations", f"{summary['requests']} / {summary['rate_violations']}"),
        ("refused hosts / blocked sockets", f"{summary['refused_requests']} / {summary['blocked_network']}"),
        ("wall time / speed-up", f"{timing['wall_s']:.1f} s / {timing['speedup']:,.0f}x real time"),
        ("run directory", str(run_dir)),
    ]
    for name, value in rows:
        facts.add_row(name, value)
    console.print(facts)
