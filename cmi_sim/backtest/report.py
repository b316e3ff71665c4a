"""A backtest's report: the summary, the run directory and the console table.

The summary holds only what the simulation determines (same session, bot, seed and settings: same
summary, byte for byte), so `--expect` can compare it exactly; timings live beside it.
"""

from __future__ import annotations

import json
import platform
import threading
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

from cmi_sim import __version__
from cmi_sim.backtest.result import EQUITY_FILE, FILLS_FILE, POSITIONS_FILE
from cmi_sim.backtest.spec import RunSpec
from cmi_sim.backtest.statistics import curve_statistics
from cmi_sim.exchange import competition_score
from cmi_sim.exchange.timestamps import parse_timestamp

SUMMARY_VERSION = 2
SUMMARY_KEYS = ("summary_version", "run_id", "session", "market", "user", "status", "errors", "bot_outcome",
                "settled", "pnl", "total_pnl", "settlement", "score", "score_among", "fills", "volume", "turnover",
                "positions", "max_abs_position", "max_drawdown", "max_drawdown_duration_s", "sharpe", "sortino",
                "stats_frequency", "rejections", "rejections_by_endpoint", "requests", "rate_violations",
                "rule_violations_by_endpoint", "refused_requests", "blocked_network", "virtual_end", "events",
                "events_sha256")


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


def build_record(spec: RunSpec, child: Mapping[str, Any], records: Mapping[str, Any], errors: list[dict[str, Any]],
                 status: str, timing: Mapping[str, Any],
                 events_sha256: str | None = None) -> tuple[dict[str, Any], dict[str, list]]:
    """run.json's content (spec, summary, participants, timing, the child's facts) and the rows of the
    tables (fills, equity, positions) for every trading account."""
    world = child.get("world") or {}
    bot = spec.participant
    requested = bot.account or ("backtest-bot" if bot.entry else None)
    user = choose_user(world, requested)
    traders = list(world.get("traders") or [])
    ordered = ([user] if user in traders else []) + [t for t in traders if t != user]
    pnl_all: dict[str, dict[str, float]] = world.get("pnl") or {}
    competitors = {name: pnl_all.get(name, {}) for name in traders}
    scores = competition_score(competitors) if len(competitors) >= 2 else {}
    start_ns, end_ns = parse_timestamp(spec.start), child.get("virtual_end_ns") or parse_timestamp(spec.end)
    participants, tables = [], {"fills": [], "equity": [], "positions": []}
    for name in ordered:
        record = records.get(name) or _EMPTY_RECORD
        participants.append(_participant(name, record, world, pnl_all.get(name, {}), scores.get(name), start_ns,
                                         end_ns))
        _add_rows(tables, name, record)
    if user is not None and user not in traders:  # asked for an account that never logged in
        participants.insert(0, _participant(user, _EMPTY_RECORD, world, {}, None, start_ns, end_ns))
    summary = _summary(spec, child, world, participants[0] if participants else None, errors, status,
                       sorted(competitors) if scores else [], events_sha256)
    record = {"spec": spec.to_dict(), "run_id": spec.id, "summary": summary, "participants": participants,
              "timing": dict(timing), "versions": versions(), "run": _run_facts(child)}
    return record, tables


_EMPTY_RECORD = {"fills": {"columns": [], "rows": []}, "timeline": {"columns": [], "rows": []}, "positions": {}}


def _participant(name: str, record: Mapping[str, Any], world: Mapping[str, Any], pnl: Mapping[str, float],
                 score: float | None, start_ns: int, end_ns: int) -> dict[str, Any]:
    fills = record["fills"]["rows"]
    columns = record["timeline"]["columns"]
    timeline = record["timeline"]["rows"]
    curve = [(int(row[0]), float(row[1])) for row in timeline]
    requests = (world.get("requests") or {}).get(name, {})
    rejected = (world.get("rejected") or {}).get(name, {})
    reasons: dict[str, int] = {}
    for by_reason in rejected.values():
        for reason, count in by_reason.items():
            reasons[reason] = reasons.get(reason, 0) + count
    position_columns = [i for i, column in enumerate(columns) if column.startswith("position.")]
    return {
        "account": name,
        "pnl": {product: pnl[product] for product in sorted(pnl)},
        "total_pnl": float(sum(pnl.values())),
        "score": score,
        "fills_count": len(fills),
        "volume": sum(int(row[5]) for row in fills),
        "turnover": round(sum(float(row[4]) * int(row[5]) for row in fills), 6),
        "positions_final": dict(sorted((world.get("positions") or {}).get(name, {}).items())),
        "max_abs_position": max((abs(int(row[i])) for row in timeline for i in position_columns), default=0),
        "requests": int(requests.get("requests", 0)),
        "rule_violations": dict(requests.get("violations_by_endpoint") or {}),
        "rejections": dict(sorted(reasons.items())),
        "rejections_by_endpoint": rejected,
        "statistics": curve_statistics(curve, start_ns, end_ns),
    }


def _add_rows(tables: dict[str, list], name: str, record: Mapping[str, Any]) -> None:
    tables["fills"].append((name, record["fills"]))
    tables["equity"].append((name, record["timeline"]))


def _summary(spec: RunSpec, child: Mapping[str, Any], world: Mapping[str, Any], me: Mapping[str, Any] | None,
             errors: list[dict[str, Any]], status: str, score_among: list[str],
             events_sha256: str | None) -> dict[str, Any]:
    me = me or {}
    stats = me.get("statistics") or {}
    bot = child.get("bot") or {}
    return {
        "summary_version": SUMMARY_VERSION,
        "run_id": spec.id,
        "session": world.get("session") or spec.session.name,
        "market": _market_label(world.get("market") or {}),
        "user": me.get("account"),
        "status": status,
        "errors": errors,
        "bot_outcome": bot.get("outcome"),
        "settled": bool(world.get("settled")),
        "pnl": me.get("pnl", {}),
        "total_pnl": me.get("total_pnl", 0.0),
        "settlement": world.get("settlement"),
        "score": me.get("score"),
        "score_among": score_among,
        "fills": me.get("fills_count", 0),
        "volume": me.get("volume", 0),
        "turnover": me.get("turnover", 0.0),
        "positions": me.get("positions_final", {}),
        "max_abs_position": me.get("max_abs_position", 0),
        "max_drawdown": stats.get("max_drawdown", 0.0),
        "max_drawdown_duration_s": stats.get("max_drawdown_duration_s", 0.0),
        "sharpe": stats.get("sharpe"),
        "sortino": stats.get("sortino"),
        "stats_frequency": stats.get("frequency"),
        "rejections": me.get("rejections", {}),
        "rejections_by_endpoint": me.get("rejections_by_endpoint", {}),
        "requests": me.get("requests", 0),
        "rate_violations": sum((me.get("rule_violations") or {}).values()),
        "rule_violations_by_endpoint": me.get("rule_violations", {}),
        "refused_requests": len(child.get("refused") or []),
        "blocked_network": len(child.get("blocked") or []),
        "virtual_end": child.get("virtual_end"),
        "events": spec.events,
        "events_sha256": events_sha256,
    }


def _run_facts(child: Mapping[str, Any]) -> dict[str, Any]:
    keys = ("status", "note", "bot", "refused", "blocked", "network", "watchdog", "thread_errors", "world_errors",
            "stderr_tracebacks", "virtual_start", "virtual_end", "loop", "transport", "child_exit_code",
            "stdout_path", "stderr_path", "traceback", "reached_end", "virtual_elapsed_s", "wall_s",
            "scratch", "files_after_virtual_moment", "storm", "slow", "partial", "output")
    return {key: child.get(key) for key in keys}


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


def write_tables(run_dir: Path, tables: Mapping[str, list]) -> None:
    """fills.parquet, equity.parquet, positions.parquet (one `account` column, every trading account)
    and equity.png (the first account's curve): files pandas reads directly."""
    import pandas as pd

    def frame(parts: list, fallback: list[str]) -> pd.DataFrame:
        frames = [pd.DataFrame(part["rows"], columns=part["columns"] or fallback).assign(account=name)
                  for name, part in parts]
        table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=[*fallback, "account"])
        if "ts" in table:
            table["ts"] = table["ts"].astype("int64")
            table.insert(1, "time", pd.to_datetime(table["ts"], unit="ns", utc=True))
        return table

    fills = frame(tables["fills"], ["ts", "order_id", "product", "side", "price", "volume", "counterparty",
                                    "aggressor", "position_after", "cash_after"])
    fills.to_parquet(run_dir / FILLS_FILE, index=False)
    timeline = frame(tables["equity"], ["ts", "equity", "cash"])
    pnl_columns = [c for c in timeline.columns if c.startswith("pnl.")]
    position_columns = [c for c in timeline.columns if c.startswith("position.")]
    timeline[["ts", "time", "equity", "cash", *pnl_columns, "account"]].to_parquet(run_dir / EQUITY_FILE, index=False)
    positions = timeline[["ts", "time", "cash", *position_columns, "account"]]
    positions = positions.rename(columns={c: c.removeprefix("position.") for c in position_columns})
    positions.to_parquet(run_dir / POSITIONS_FILE, index=False)
    first = tables["equity"][0][0] if tables["equity"] else None
    _plot_equity(run_dir / "equity.png", timeline[timeline["account"] == first][["ts", "time", "equity"]]
                 .reset_index(drop=True))


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


def render_summary(summary: Mapping[str, Any], timing: Mapping[str, Any], run_dir: Path) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    title = f"cmi-sim backtest: {summary['user'] or '(no account traded)'} on {summary['session']}"
    table = Table(title=title, show_header=True, header_style="bold")
    table.add_column("product")
    table.add_column("PnL", justify="right")
    table.add_column("position", justify="right")
    table.add_column("settlement", justify="right")
    settlement = summary.get("settlement") or {}
    positions = summary.get("positions") or {}
    for product in settlement or summary["pnl"]:
        value = summary["pnl"].get(product)
        table.add_row(product, f"{value:,.2f}" if value is not None else "-", str(positions.get(product, "-")),
                      f"{settlement[product]:,.2f}" if product in settlement else "-")
    table.add_row("[bold]total[/bold]", f"[bold]{summary['total_pnl']:,.2f}[/bold]", "", "")
    console.print(table)
    facts = Table(show_header=False, box=None)
    facts.add_column(style="dim", no_wrap=True)
    facts.add_column(overflow="fold")
    rejections = ", ".join(f"{k} x{v}" for k, v in summary["rejections"].items()) or "none"
    violations = ", ".join(f"{k} x{v}" for k, v in summary["rule_violations_by_endpoint"].items())
    status = summary["status"].upper() if summary["status"] != "completed" else "completed"
    rows = [
        ("status", f"{status} (bot {summary['bot_outcome']})"
                   + ("" if summary["settled"] else f", stopped at {summary['virtual_end']} before settlement")),
        ("market", summary.get("market", "")),
        ("competition score", _score_text(summary)),
        ("fills / volume / turnover", f"{summary['fills']} / {summary['volume']} / {summary['turnover']:,.0f}"),
        ("max |position|", str(summary["max_abs_position"])),
        ("max drawdown", f"{summary['max_drawdown']:,.2f} (longest under water "
                         f"{_duration(summary['max_drawdown_duration_s'])})"),
        (f"Sharpe / Sortino ({summary['stats_frequency']})", f"{_ratio(summary['sharpe'])} / "
                                                            f"{_ratio(summary['sortino'])}"),
        ("rejections", rejections),
        ("requests / rate-rule violations", f"{summary['requests']} / {summary['rate_violations']}"
                                            + (f" ({violations})" if violations else "")),
        ("refused hosts / blocked sockets", f"{summary['refused_requests']} / {summary['blocked_network']}"),
        ("events", summary["events"]),
        ("wall time / speed-up", f"{timing['wall_s']:.1f} s / {timing['speedup']:,.0f}x real time"),
    ]
    for name, value in rows:
        facts.add_row(name, value)
    console.print(facts)
    print(f"run directory: {run_dir}", flush=True)  # whole, never cut to the terminal's width


def _score_text(summary: Mapping[str, Any]) -> str:
    among = summary.get("score_among") or []
    if summary.get("score") is None:
        return "not shown: it ranks competing bots, and this run has one"
    return f"{summary['score']:.4f} among {len(among)} bots ({', '.join(among)})"


def _ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _duration(seconds: float) -> str:
    minutes, second = divmod(round(seconds), 60)
    hours, minute = divmod(minutes, 60)
    return f"{hours}h{minute:02d}m{second:02d}s" if hours else f"{minute}m{second:02d}s"
