"""`report.html`: one self-contained page per run directory (inline data, script and style; opens from
disk with no network) with prices and the bot's fills, positions and PnL per product, equity with its
drawdown, the statistics, settlement, the bot's log and the leaderboard.

Built from what the run directory holds: `events.jsonl` (the exchange's events), `run.json` (settings and
summary; an arena adds `leaderboard`), `result.json` (every account's PnL) and `bot.stdout`/`bot.stderr`.
Unknown keys are shown, not refused; a missing file is named on the page instead of failing the report.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Iterable, Mapping
from importlib import resources
from pathlib import Path
from statistics import median_low
from typing import Any

from cmi_sim.sandbox.log_times import TIMES_NAME, line_time_ms, read_line_times, times_of_lines
from cmi_sim.backtest.adapter.trading_record import MARK_WINDOW
from cmi_sim.products import CMI_SYMBOLS

REPORT_NAME = "report.html"
MAX_POINTS = 4_000  # per chart line; more adds bytes, not detail (a report is ~1,600 px wide)
MAX_FILL_MARKS = 6_000  # per product; past that every k-th fill is marked (the page says so)
MAX_LOG_LINES = 5_000  # per stream: the first half and the last half of a longer log
_NEEDLES = (b'"type":"Fill"', b'"type":"TapePrint"', b'"type":"Settled"')


class ReportError(ValueError):
    """The directory is not a run directory (nothing to report on)."""


def write_html_report(run_dir: Path) -> Path:
    """Write `run_dir/report.html` and return its path."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise ReportError(f"no run directory {run_dir}")
    data = report_data(run_dir)
    if not data["run"] and data["events"] is None:
        raise ReportError(f"{run_dir} holds neither run.json nor events.jsonl: not a run directory")
    path = run_dir / REPORT_NAME
    path.write_text(render_page(data), encoding="utf-8")
    return path


# -- the data -------------------------------------------------------------------------------------

def report_data(run_dir: Path) -> dict[str, Any]:
    run = _read_json(run_dir / "run.json")
    result = _read_json(run_dir / "result.json")
    missing = [name for name in ("run.json", "events.jsonl") if not (run_dir / name).exists()]
    summary = run.get("summary") if isinstance(run.get("summary"), dict) else {}
    user = summary.get("user") or ((result.get("world") or {}).get("traders") or [None])[0]
    events_path = run_dir / "events.jsonl"
    if events_path.exists():
        events = _trading(events_path, user)
    else:  # `--events none`: the bot's own record is still in the tables
        events = _trading_from_tables(run_dir, user)
    products = _product_order(summary, events)
    return {
        "title": _title(run, summary, run_dir),
        "runDir": str(run_dir),
        "missing": missing,
        "user": user,
        "run": run,
        "summary": summary,
        "settlement": summary.get("settlement") or (events or {}).get("settlement"),
        "products": products,
        "events": events,
        "accounts": _accounts(result, run),
        "leaderboard": run.get("leaderboard") if isinstance(run.get("leaderboard"), list) else None,
        "log": _bot_log(run_dir, run),
    }


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _title(run: Mapping, summary: Mapping, run_dir: Path) -> str:
    """`bot.py on session`, from run.json's spec (or the older `settings`)."""
    spec = run.get("spec") if isinstance(run.get("spec"), dict) else {}
    settings = run.get("settings") if isinstance(run.get("settings"), dict) else {}
    participants = spec.get("participants") or [{}]
    script = (participants[0] or {}).get("script") if isinstance(participants[0], dict) else None
    bot = Path(str(script or settings.get("bot") or run_dir.name)).name
    session = spec.get("session")
    session = session.get("name") if isinstance(session, dict) else session
    return f"{bot} on {summary.get('session') or session or settings.get('session') or 'a session'}"


def _product_order(summary: Mapping, events: Mapping | None) -> list[str]:
    """The eight CMI products in exchange order, then any other the run traded."""
    seen = list(CMI_SYMBOLS)
    for name in [*(summary.get("pnl") or {}), *((events or {}).get("products") or {})]:
        if name not in seen:
            seen.append(name)
    return seen


def _trading(path: Path, user: str | None) -> dict[str, Any]:
    """Trades per product, the user's fills, position, PnL per product and equity over time (times in
    ms), with positions marked as the summary marks them (median of the last trades, `trading_record.py`)."""
    trades: dict[str, list[list]] = {}
    fills: dict[str, list[list]] = {}
    position_points: dict[str, list[list]] = {}
    pnl_points: dict[str, list[list]] = {}
    equity: list[list] = []
    recent: dict[str, deque] = {}
    marks: dict[str, float] = {}
    positions: dict[str, int] = {}
    cash: dict[str, float] = {}
    values: dict[str, float] = {}  # each product's PnL at its mark, and their sum
    total = 0.0
    settlement = None
    first_ts = last_ts = None
    with path.open("rb") as log:
        for line in log:
            if not line.startswith(_NEEDLES, 1):
                continue
            try:
                event = json.loads(line)
                kind, ts = event["type"], event["ts"]
            except (ValueError, KeyError):
                continue  # a line this report cannot read is skipped, not fatal
            first_ts = ts if first_ts is None else first_ts
            last_ts = ts
            if kind == "Settled":
                settlement = {str(symbol): float(value) for symbol, value in event.get("prices") or []}
                continue
            product, price, volume = event["product"], float(event["price"]), int(event["volume"])
            t = ts / 1e6
            trades.setdefault(product, []).append([t, price, volume])
            window = recent.get(product) or recent.setdefault(product, deque(maxlen=MARK_WINDOW))
            window.append(price)
            marks[product] = median_low(window)
            side = 0
            if kind == "Fill" and user is not None:
                buyer = event["taker"] if event["taker_side"] == 1 else event["maker"]
                seller = event["maker"] if event["taker_side"] == 1 else event["taker"]
                if user == buyer and user != seller:
                    side, other = 1, seller
                elif user == seller and user != buyer:
                    side, other = -1, buyer
                if side:
                    positions[product] = positions.get(product, 0) + side * volume
                    cash[product] = cash.get(product, 0.0) - side * volume * price
                    aggressor = "took" if event["taker"] == user else "made"
                    fills.setdefault(product, []).append(
                        [t, price, side == 1, f"{'BUY' if side == 1 else 'SELL'} {volume} @ {price:g} ({aggressor}, "
                                              f"vs {other})"])
                    position_points.setdefault(product, []).append([t, positions[product]])
            if product in positions:
                value = cash[product] + positions[product] * marks[product]
                pnl_points.setdefault(product, []).append([t, value])
                total += value - values.get(product, 0.0)  # the other products' values did not move
                values[product] = value
                if side or positions[product]:
                    if equity and equity[-1][0] == t:
                        equity[-1][1] = total
                    else:
                        equity.append([t, total])
    return {
        "start": first_ts / 1e6 if first_ts is not None else None,
        "end": last_ts / 1e6 if last_ts is not None else None,
        "products": list(trades),
        "trades": {p: decimate(points) for p, points in trades.items()},
        "tradeCounts": {p: len(points) for p, points in trades.items()},
        "fills": {p: marks[::-(-len(marks) // MAX_FILL_MARKS)] for p, marks in fills.items()},
        "fillCounts": {p: len(marks) for p, marks in fills.items()},
        "positions": position_points,
        "pnl": {p: decimate(points) for p, points in pnl_points.items()},
        "equity": decimate(equity),
        "settlement": settlement,
    }


def _trading_from_tables(run_dir: Path, user: str | None) -> dict[str, Any] | None:
    """The bot's fills, positions, PnL per product and equity from fills/equity/positions.parquet (the
    market's trades are not in them), or None without them."""
    paths = [run_dir / name for name in ("fills.parquet", "equity.parquet", "positions.parquet")]
    if user is None or not all(path.exists() for path in paths):
        return None
    import pandas as pd

    try:
        fills, equity, positions = (pd.read_parquet(path) for path in paths)
    except (OSError, ValueError):
        return None
    mine = [table[table["account"] == user] if "account" in table else table for table in (fills, equity, positions)]
    fills, equity, positions = mine
    marks: dict[str, list[list]] = {}
    for row in fills.itertuples(index=False):
        buy = str(row.side) == "BUY"
        marks.setdefault(str(row.product), []).append(
            [int(row.ts) / 1e6, float(row.price), buy,
             f"{'BUY' if buy else 'SELL'} {int(row.volume)} @ {float(row.price):g} (vs {getattr(row, 'counterparty', '?')})"])
    times = [int(ts) / 1e6 for ts in equity["ts"]] if "ts" in equity else []
    pnl = {}
    for column in (c for c in equity.columns if str(c).startswith("pnl.")):
        values = [float(v) for v in equity[column]]
        if any(values):
            pnl[str(column)[4:]] = decimate([[t, v] for t, v in zip(times, values)])
    position_points: dict[str, list[list]] = {}
    position_times = [int(ts) / 1e6 for ts in positions["ts"]] if "ts" in positions else []
    for column in (c for c in positions.columns if c not in ("ts", "time", "cash", "account")):
        points, last = [], 0
        for t, value in zip(position_times, positions[column]):
            if int(value) != last:
                points.append([t, int(value)])
                last = int(value)
        if points:
            position_points[str(column)] = points
    return {"source": "tables", "start": None, "end": None, "products": list(marks), "trades": {}, "tradeCounts": {},
            "fills": {p: m[::-(-len(m) // MAX_FILL_MARKS)] for p, m in marks.items()},
            "fillCounts": {p: len(m) for p, m in marks.items()}, "positions": position_points, "pnl": pnl,
            "equity": decimate([[t, float(v)] for t, v in zip(times, equity["equity"])]) if "equity" in equity else [],
            "settlement": None}


def decimate(points: list[list], limit: int = MAX_POINTS) -> list[list]:
    """At most about `limit` points that draw the same line: in each of `limit // 4` equal slices of
    time, the first, lowest, highest and last point, in time order."""
    if len(points) <= limit:
        return points
    buckets = max(1, limit // 4)
    t0, t1 = points[0][0], points[-1][0]
    span = (t1 - t0) or 1.0
    kept: list[list] = []
    group: list[list] = []
    current = None
    for point in points:
        bucket = min(buckets - 1, int((point[0] - t0) / span * buckets))
        if bucket != current and group:
            kept.extend(_extremes(group))
            group = []
        current = bucket
        group.append(point)
    kept.extend(_extremes(group))
    return kept


def _extremes(group: list[list]) -> list[list]:
    low = min(group, key=lambda p: p[1])
    high = max(group, key=lambda p: p[1])
    chosen = {id(group[0]): group[0], id(low): low, id(high): high, id(group[-1]): group[-1]}
    return sorted(chosen.values(), key=lambda p: p[0])


def _accounts(result: Mapping, run: Mapping) -> list[dict[str, Any]]:
    """The run's accounts, best first: its bots (run.json's `participants`, with their competition score
    when there were two or more) and, flagged `market`, the simulated market's accounts (result.json)."""
    rows: list[dict[str, Any]] = []
    for participant in run.get("participants") or []:
        if isinstance(participant, dict) and participant.get("account") is not None:
            rows.append({"account": str(participant["account"]), "pnl": participant.get("total_pnl"),
                         "score": participant.get("score"), "market": False})
    world = result.get("world") or {}
    pnl = world.get("pnl") if isinstance(world.get("pnl"), dict) else {}
    known = {row["account"] for row in rows}
    market = set(world.get("market_accounts") or [])
    for account, by_product in pnl.items():
        if account not in known:
            rows.append({"account": str(account), "pnl": float(sum((by_product or {}).values())), "score": None,
                         "market": account in market})
    rows.sort(key=lambda row: (row["score"] is None, -(row["score"] or 0.0), -(row["pnl"] or 0.0), row["account"]))
    return rows


def _bot_log(run_dir: Path, run: Mapping) -> dict[str, Any]:
    """The bot's output lines, each with its time in ms: when the child wrote it (`bot.log-times`), else a
    time the line itself starts with (a run from before the times were kept), else None."""
    start = ((run.get("run") or {}).get("virtual_start") or "")[:10] or None
    written = read_line_times(run_dir / TIMES_NAME)
    streams = {}
    for name in ("bot.stdout", "bot.stderr"):
        path = run_dir / name
        if not path.exists():
            continue
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
        times = times_of_lines(len(lines), written.get(name.removeprefix("bot."), []))
        rows = [[times[i] if times[i] is not None else line_time_ms(line, start), line]
                for i, line in enumerate(lines)]
        omitted = 0
        if len(rows) > MAX_LOG_LINES:
            omitted = len(rows) - MAX_LOG_LINES
            half = MAX_LOG_LINES // 2
            rows = rows[:half] + [[None, f"... {omitted:,} lines omitted ..."]] + rows[-half:]
        streams[name] = {"lines": rows, "omitted": omitted}
    return streams


# -- the page -------------------------------------------------------------------------------------

def _asset(name: str, package: str = "cmi_sim.backtest") -> str:
    return resources.files(package).joinpath(name).read_text(encoding="utf-8")


def _inline_json(data: Any) -> str:
    """JSON safe inside <script>: no `</` can close the element early; NaN and infinities (which JSON
    cannot hold) become null."""
    try:
        text = json.dumps(data, separators=(",", ":"), default=repr, allow_nan=False)
    except ValueError:
        text = json.dumps(_clean(data), separators=(",", ":"), default=repr, allow_nan=False)
    return text.replace("</", "<\\/").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def render_page(data: Mapping[str, Any]) -> str:
    page = _asset("report_assets/report.html")
    replacements: Iterable[tuple[str, str]] = (
        ("/*STYLE*/", _asset("report_assets/report.css")),
        ("/*CHARTS*/", _asset("static/charts.js", "cmi_sim.dashboard")),
        ("/*SCRIPT*/", _asset("report_assets/report.js")),
        ("/*DATA*/", _inline_json(data)),
        ("<!--TITLE-->", _escape(str(data.get("title", "")))),
    )
    for marker, text in replacements:
        page = page.replace(marker, text, 1)
    return page


def _clean(value: Any) -> Any:
    """NaN and infinities (which JSON cannot hold) become None."""
    if isinstance(value, float):
        return value if value == value and abs(value) != float("inf") else None
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
