"""One run of a sweep, on whichever worker takes it: the task (a picklable value) and its execution.

A worker runs the ordinary backtest (`build_spec` and `run`, the run model) in a scratch directory, with
no event log, then returns the row of figures and the run's small files as bytes (run.json, fills.parquet, equity.parquet, the bot's stderr);
the process that drives the sweep writes them. Local and Ray workers run this same code.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from cmi_sim import __version__
from cmi_sim.backtest.spec import REAL_EXCHANGE_LATENCY_MS
from cmi_sim.sweep.space import Value

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
    latency_ms: float = REAL_EXCHANGE_LATENCY_MS
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
    from cmi_sim.backtest.launch import run
    from cmi_sim.backtest.plan import build_spec

    run_dir, cwd = scratch / "run", scratch / "cwd"
    cwd.mkdir()
    # Each run works in an empty directory of its own: parallel runs never share files.
    spec = build_spec(Path(task.bot), session=task.session, seed=task.seed, args=task.bot_args, entry=task.entry,
                      until=task.until, events="full" if task.keep_events else "none", latency_ms=task.latency_ms,
                      watchdog_s=task.watchdog_s, wall_limit_s=task.wall_limit_s, env=task.env, cwd=cwd)
    result = run(spec, out=run_dir)
    summary = result.summary
    status, error = "ok", None
    if not result.ok:
        first = result.errors[0]  # the most decisive
        status, error = first.kind, first.message
    elif summary.get("virtual_end") != spec.end:
        status = "cut_short"  # stopped before its end (an interrupted sweep): never kept as a result
        error = f"the run stopped at {summary.get('virtual_end')}, before {spec.end}"
    row = {
        "run_id": task.run_id, "spec_id": result.id, "status": status, "error": error,
        "bot_outcome": summary.get("bot_outcome"), "settled": summary["settled"],
        "total_pnl": summary["total_pnl"], "pnl": summary["pnl"], "score": _score(run_dir, summary),
        "max_drawdown": summary["max_drawdown"], "sharpe": summary.get("sharpe") or 0.0,
        "fills": summary["fills"], "traded_volume": summary["volume"], "requests": summary["requests"],
        "rate_violations": summary["rate_violations"], "wall_s": result.timing["wall_s"],
    }
    names = ["run.json", "fills.parquet", "equity.parquet"] + (["events.jsonl"] if task.keep_events else [])
    files = {name: (run_dir / name).read_bytes() for name in names if (run_dir / name).exists()}
    stderr = run_dir / "bot.stderr"
    if stderr.exists() and stderr.stat().st_size:
        files["bot.stderr"] = stderr.read_bytes()[-STDERR_TAIL:]
    row["files"] = files
    return row


def _score(run_dir: Path, summary: dict[str, Any]) -> float:
    """The competition score. The run model scores bots that compete with each other (an arena); a
    sweep's lone bot is scored, as `cmi-sim backtest` did before, among every account that traded in the
    run (the market's included), from the child's result."""
    if summary.get("score") is not None:
        return float(summary["score"])
    from cmi_sim.exchange import competition_score

    try:
        world = json.loads((run_dir / "result.json").read_text()).get("world") or {}
    except (OSError, ValueError):
        return 0.0
    user = summary.get("user")
    return float(competition_score(world.get("pnl") or {}).get(user, 0.0)) if user else 0.0
