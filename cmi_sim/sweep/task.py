"""One run of a sweep, on whichever worker takes it: the task (a picklable value) and its execution.

A worker runs the ordinary backtest (`run_backtest`) in a scratch directory, then returns the row of
figures and the run's small files as bytes (run.json, fills.parquet, equity.parquet, the bot's stderr);
the process that drives the sweep writes them. Local and Ray workers run this same code.
"""

from __future__ import annotations

import math
import os
import shutil
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Iterator

from cmi_sim import __version__
from cmi_sim.sweep.space import Value

SHARPE_STEP_NS = 300_000_000_000  # the equity curve sampled every 5 virtual minutes
SHARPE_STEPS_PER_DAY = 288
STDERR_TAIL = 64 * 1024
# Runs that broke for reasons outside the bot (killed worker, wall-clock limit): tried again on a re-run.
RETRIED_STATUSES = frozenset({"worker_error", "wall_limit", "child_died", "cut_short"})


@dataclass(frozen=True)
class RunTask:
    run_id: str
    setting: dict[str, Value]
    seed: int
    session: str  # built-in name or absolute directory (on a Ray worker: the path inside its bundle)
    split: str  # "search" or "holdout"
    bot: str  # absolute path (on a Ray worker: the path inside its bundle)
    bot_args: tuple[str, ...] = ()
    entry: str | None = None
    env: dict[str, str] = field(default_factory=dict)
    until: str | None = None
    latency_ms: float = 1.0
    watchdog_s: float = 30.0
    wall_limit_s: float = 3600.0
    keep_events: bool = False
    trial: int | None = None
    version: str = __version__

    def relocated(self, bot: str, session: str) -> RunTask:
        return replace(self, bot=bot, session=session)


def execute(task: RunTask) -> dict[str, Any]:
    """Run the task; never raises: a failure is a row with its status and message."""
    started = time.monotonic()
    scratch = Path(tempfile.mkdtemp(prefix=f"cmi-sweep-{task.run_id}-"))
    try:
        if task.version != __version__:
            raise RuntimeError(f"this worker has cmi-sim {__version__}, the sweep {task.version}")
        return _run(task, scratch)
    except Exception as error:  # noqa: BLE001 - one broken run must not stop the sweep
        return {"run_id": task.run_id, "status": "worker_error", "error": f"{type(error).__name__}: {error}",
                "wall_s": round(time.monotonic() - started, 3), "files": {}}
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _run(task: RunTask, scratch: Path) -> dict[str, Any]:
    from cmi_sim.backtest.launch import BacktestOptions, run_backtest

    run_dir, cwd = scratch / "run", scratch / "cwd"
    cwd.mkdir()
    options = BacktestOptions(bot=Path(task.bot), session=task.session, seed=task.seed, out=run_dir,
                              entry=task.entry, until=task.until, latency_ms=task.latency_ms,
                              watchdog_s=task.watchdog_s, wall_limit_s=task.wall_limit_s, bot_args=task.bot_args,
                              events="full" if task.keep_events else "compact")
    # The bot's environment and working directory come from this process: a worker runs one task at a
    # time, so setting them here for the run is safe (and parallel runs never share a directory).
    with _environment(task.env), _working_directory(cwd):
        outcome = run_backtest(options)
    summary, result = outcome.summary, outcome.result
    status = summary["status"]
    error = None
    bot = result.get("bot") or {}
    if status == "ok" and result.get("virtual_end") != outcome.settings["until"]:
        status = "cut_short"  # stopped before its end (an interrupted sweep): never kept as a result
        error = f"the run stopped at {result.get('virtual_end')}, before {outcome.settings['until']}"
    elif status == "ok" and bot.get("outcome") == "exit" and bot.get("exit_code"):
        status = "bot_exit"  # e.g. argparse refusing a value: in a sweep that setting is broken, not flat
        error = _last_line(run_dir / "bot.stderr") or f"the bot exited with code {bot['exit_code']}"
    elif status != "ok":
        error = (result.get("note") or bot.get("traceback") or (result.get("watchdog") or {}).get("message")
                 or result.get("traceback") or status)
        error = str(error).strip().splitlines()[-1] if str(error).strip() else status
    row = {
        "run_id": task.run_id, "status": status, "error": error, "bot_outcome": summary.get("bot_outcome"),
        "settled": summary["settled"], "total_pnl": summary["total_pnl"], "pnl": summary["pnl"],
        "score": summary["score"], "max_drawdown": summary["max_drawdown"],
        "sharpe": _sharpe(run_dir / "equity.parquet", result), "fills": summary["fills"],
        "traded_volume": summary["volume"], "requests": summary["requests"],
        "rate_violations": summary["rate_violations"], "wall_s": outcome.timing["wall_s"],
    }
    names = ["run.json", "fills.parquet", "equity.parquet"] + (["events.jsonl"] if task.keep_events else [])
    files = {name: (run_dir / name).read_bytes() for name in names if (run_dir / name).exists()}
    stderr = run_dir / "bot.stderr"
    if stderr.exists() and stderr.stat().st_size:
        files["bot.stderr"] = stderr.read_bytes()[-STDERR_TAIL:]
    row["files"] = files
    return row


def _sharpe(equity_path: Path, result: dict[str, Any]) -> float:
    """Mean over standard deviation of the mark-to-market PnL's change per 5 virtual minutes, scaled to
    a day (x sqrt(288)); 0 when the PnL never moved."""
    import pandas as pd

    from cmi_sim.backtest.config import parse_start_ns

    if not equity_path.exists() or not result.get("virtual_start") or not result.get("virtual_end"):
        return 0.0
    start = parse_start_ns(_iso(result["virtual_start"]))
    end = parse_start_ns(_iso(result["virtual_end"]))
    equity = pd.read_parquet(equity_path, columns=["ts", "equity"])
    if len(equity) == 0 or end - start < 2 * SHARPE_STEP_NS:
        return 0.0
    grid = list(range(start, end + 1, SHARPE_STEP_NS))
    if grid[-1] != end:
        grid.append(end)
    ts, values = equity["ts"].to_numpy(), equity["equity"].to_numpy()
    sampled = [0.0 if i == 0 else float(values[i - 1]) for i in ts.searchsorted(grid, side="right")]
    changes = [b - a for a, b in zip(sampled, sampled[1:])]
    mean = sum(changes) / len(changes)
    spread = math.sqrt(sum((c - mean) ** 2 for c in changes) / len(changes))
    return round(mean / spread * math.sqrt(SHARPE_STEPS_PER_DAY), 6) if spread > 1e-12 else 0.0


def _last_line(path: Path) -> str | None:
    if not path.exists():
        return None
    lines = path.read_bytes()[-4096:].decode(errors="replace").strip().splitlines()
    return lines[-1] if lines else None


def _iso(text: str) -> str:
    """`...T13:00:00.000000000Z` (nine digits) -> a form `datetime.fromisoformat` reads."""
    head, dot, fraction = text.rstrip("Z").partition(".")
    return f"{head}.{fraction[:6]}Z" if dot else f"{head}Z"


@contextmanager
def _environment(extra: dict[str, str]) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in extra}
    os.environ.update(extra)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@contextmanager
def _working_directory(path: Path) -> Iterator[None]:
    previous = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(previous)
