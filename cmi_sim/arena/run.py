"""Running an arena spec: the run directory, the bot processes, the coordinator, the leaderboard.

Run directory (default `runs/arena-<session>-<spec digest>`):

    run.json             spec, digest, leaderboard (ordered), per-bot facts, timing, coordinator counters
    events.jsonl         every exchange event, streamed as it happens (kept if the run is killed)
    fills.parquet        every participant's fills, with an `account` column; equity.parquet likewise
    bots/NN-<name>/      config.json, stdout, stderr, result.json (the bot process's sandbox result),
                         fills.parquet, equity.parquet, equity.png
"""

from __future__ import annotations

import json
import platform
import sys
import time
from importlib import metadata
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from cmi_sim import __version__
from cmi_sim.arena.coordinator import BotLaunch, BotState, Coordinator
from cmi_sim.arena.figures import journal_figures, write_run_tables, write_tables
from cmi_sim.arena.leaderboard import build_leaderboard
from cmi_sim.arena.spec import ArenaSpec, SpecError
from cmi_sim.arena.venue import Venue
from cmi_sim.sandbox.config import RunConfig
from cmi_sim.backtest.html_report import write_html_report
from cmi_sim.sandbox.parent import child_env
from cmi_sim.backtest.outcome import COMPLETED, FAILED, run_errors
from cmi_sim.backtest.result import RunResult, from_record
from cmi_sim.backtest.statistics import curve_statistics
from cmi_sim.exchange import competition_score, format_timestamp, parse_timestamp
from cmi_sim.sessions import load_session

__all__ = ["ArenaOutcome", "run_arena", "BOT_ENVIRONMENT"]

BOT_ENVIRONMENT = "cmi_sim.arena.bot_side:make_environment"
RUN_VERSION = 1


@dataclass
class ArenaOutcome:
    run_dir: Path
    leaderboard: list[dict[str, Any]]
    record: dict[str, Any]

    @property
    def failed(self) -> list[dict[str, Any]]:
        return [row for row in self.leaderboard if row["status"] != COMPLETED]

    @property
    def result(self) -> RunResult:
        """The typed run model: `RunResult` with a `ParticipantResult` per bot (DataFrame accessors)."""
        return from_record(self.record, self.run_dir)


def run_arena(spec: ArenaSpec, out: Path | None = None, wall_limit_s: float = 3600.0,
              on_progress: Callable[[float], None] | None = None, tables: bool = True) -> ArenaOutcome:
    """Run every participant in its own process through the session; write the run directory."""
    if not spec.participants:
        raise SpecError("an arena needs at least one bot")
    if spec.latency_ms <= 0:
        raise SpecError("--latency-ms must be above 0 in an arena (half the latency is what lets bots run "
                        "in parallel)")
    spec = spec.with_names()
    run_spec = spec.run_spec()  # validates every setting, as a backtest's
    session = load_session(spec.session, seed=spec.seed)
    end_ns = parse_timestamp(run_spec.end)
    digest = spec.digest(run_spec)
    run_dir = (out or Path("runs") / f"arena-{session.name}-{digest[:8]}").resolve()
    run_dir.mkdir(parents=True, exist_ok=True)
    seed = run_spec.seed if spec.seed is None else spec.seed
    latency_ns = round(spec.latency_ms * 1_000_000)
    launches = [_launch(spec, index, run_dir, session.open_ns, end_ns, seed, latency_ns)
                for index in range(len(spec.participants))]
    events_path = run_dir / "events.jsonl"
    span = end_ns - session.open_ns

    def progress(t_ns: int) -> None:
        if on_progress is not None:
            on_progress(min(1.0, (t_ns - session.open_ns) / span))

    started = time.monotonic()
    venue = Venue(session, spec.seed, events_path, market=spec.market)
    coordinator = Coordinator(venue, launches, end_ns, latency_ns, settle=run_spec.settle,
                              wall_limit_s=wall_limit_s, progress=progress if on_progress else None,
                              cadence_ns=round(spec.stream_cadence_ms * 1_000_000))
    try:
        coordinator.start()
        coordinator.run()
    finally:
        coordinator.shutdown()
        venue.close()
    wall_s = time.monotonic() - started
    record = _record(spec, run_spec, digest, session, end_ns, venue, coordinator, run_dir, wall_s, tables)
    (run_dir / "run.json").write_text(json.dumps(record, indent=1, default=repr))
    write_html_report(run_dir)  # report.html with the leaderboard, from the files just written
    return ArenaOutcome(run_dir, record["leaderboard"], record)


def _versions() -> dict[str, str]:
    found = {"cmi-sim": __version__, "python": platform.python_version()}
    for name in ("gevent", "requests"):
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    return found


def _launch(spec: ArenaSpec, index: int, run_dir: Path, open_ns: int, end_ns: int, seed: int,
            latency_ns: int) -> BotLaunch:
    participant = spec.participants[index]
    bot_dir = run_dir / "bots" / f"{index + 1:02d}-{participant.name}"
    bot_dir.mkdir(parents=True, exist_ok=True)
    result_path = bot_dir / "result.json"
    result_path.unlink(missing_ok=True)
    config = RunConfig(
        bot=participant.bot, environment=BOT_ENVIRONMENT, result_path=str(result_path), start=format_timestamp(open_ns),
        duration_s=(end_ns - open_ns) / 1e9, argv=participant.args,
        seed=seed * 1_000 + index,  # each process its own entropy; copies of a bot do not draw alike
        latency_ms=0.0,  # the bot side's router applies the latency (and tells the coordinator early)
        grace_s=spec.grace_s, watchdog_s=spec.watchdog_s, run_to_end=False,
        cwd=participant.cwd or str(Path.cwd()), environment_args={"latency_ns": latency_ns}, isolate_network=True,
    )
    config_path = bot_dir / "config.json"
    config.dump(config_path)
    env = child_env()
    env.update(dict(participant.env))
    return BotLaunch(
        index=index, name=participant.name,
        command=[participant.python or sys.executable, "-m", "cmi_sim.arena.bot_process", str(config_path), "{fd}"],
        env=env, cwd=str(bot_dir), stdout_path=bot_dir / "stdout", stderr_path=bot_dir / "stderr",
        memory_mb=participant.memory_mb, cpu_s=participant.cpu_s,
    )


def _read_result(path: Path) -> dict[str, Any] | None:
    """The bot process's result file, if it wrote a readable one (a bot can break its own sandbox)."""
    try:
        result = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return result if isinstance(result, dict) else None


def _left_at(bot: BotState, result: dict[str, Any] | None) -> str | None:
    """When the bot ended, in virtual time: its own record, else its process's last report."""
    t_ns = ((result or {}).get("bot") or {}).get("t_ns")
    if not isinstance(t_ns, int):
        t_ns = bot.left_at_ns
    return format_timestamp(t_ns) if t_ns else None


def _errors(bot: BotState, result: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Why a participant failed (empty: it completed), in the backtest's terms (`outcome.run_errors`)
    plus the arena's own: stopped for breaking the protocol, stopped at the wall limit."""
    if bot.end_reason == "wall_limit":
        return [{"kind": "wall_limit", "count": 1, "message": "the run passed its wall-clock limit",
                 "traceback": ""}]
    if bot.end_reason is not None:
        return [{"kind": "protocol", "count": 1, "message": bot.end_reason, "traceback": ""}]
    if result is None:
        code = bot.exit_code
        signal_name = f" (killed by signal {-code})" if code is not None and code < 0 else ""
        return [{"kind": "child_died", "count": 1, "traceback": "",
                 "message": f"the bot process died without a result, exit code {code}{signal_name}"}]
    return run_errors(result)


def _record(spec: ArenaSpec, run_spec: Any, digest: str, session: Any, end_ns: int, venue: Venue,
            coordinator: Coordinator, run_dir: Path, wall_s: float, tables: bool) -> dict[str, Any]:
    """run.json: the run model's spec and the participants' typed results (`RunResult.load` reads it), the
    leaderboard, and the arena's own facts."""
    pnl_all = venue.pnl()
    all_accounts = [name for i in range(len(spec.participants)) for name in venue.accounts_of(i)]
    final = pnl_all if venue.settled_pnl is not None else None
    figures_of, events_sha = journal_figures(run_dir / "events.jsonl", all_accounts, dict(session.products),
                                             final, end_ns)
    if tables:
        write_run_tables(run_dir, figures_of)
    accounts = [venue.accounts_of(bot.launch.index)[:1] for bot in coordinator.bots]
    competitors = {names[0]: pnl_all.get(names[0], {}) for names in accounts if names}
    scores = competition_score(competitors) if len(competitors) >= 2 else {}
    entries, participants, all_errors = [], [], []
    for bot, participant in zip(coordinator.bots, spec.participants):
        bot_dir = bot.launch.stdout_path.parent
        result = _read_result(bot_dir / "result.json")
        errors = _errors(bot, result)
        all_errors.extend({**error, "message": f"{participant.name}: {error['message']}"} for error in errors)
        account = (venue.accounts_of(bot.launch.index) or [None])[0]
        figures = figures_of.get(account) if account else None
        if tables and figures is not None:
            write_tables(bot_dir, figures)
        typed = _participant_result(account, figures, pnl_all, scores, venue, session.open_ns, end_ns)
        participants.append(typed)
        entries.append({
            **typed, "name": participant.name, "bot": participant.bot, "args": list(participant.args),
            "accounts": venue.accounts_of(bot.launch.index),
            "status": FAILED if errors else COMPLETED, "why": errors[0]["message"] if errors else "",
            "errors": errors, "outcome": ((result or {}).get("bot") or {}).get("outcome"),
            "fills": typed["fills_count"], "rate_violations": sum(typed["rule_violations"].values()),
            "requests_sent": bot.n_requests, "refused_requests": len((result or {}).get("refused") or []),
            "blocked_network": len((result or {}).get("blocked") or []), "left_at": _left_at(bot, result),
            "exit_code": bot.exit_code, "output": str(bot_dir),
        })
    leaderboard = build_leaderboard(entries, pnl_all)
    virtual_s = (end_ns - session.open_ns) / 1e9
    status = FAILED if all_errors else COMPLETED
    summary = {"status": status, "errors": all_errors, "session": session.name, "events_sha256": events_sha,
               "leaderboard": [(row["name"], row["account"], row["status"], row["score"], row["total_pnl"])
                               for row in leaderboard]}
    return {
        "run_version": RUN_VERSION,
        "spec": run_spec.to_dict(), "run_id": digest, "arena": spec.arena_options(),
        "summary": summary, "participants": participants, "leaderboard": leaderboard,
        "versions": _versions(), "session": session.name, "virtual_start": run_spec.start,
        "virtual_end": format_timestamp(end_ns), "settled": venue.settled_pnl is not None,
        "settlement": dict(session.settlement_values) if venue.settled_pnl is not None else None,
        "market": "none" if venue.simulation.market is None else session.market.get("kind"),
        "events_sha256": events_sha, "n_events": venue.journal.count,
        "timing": {"wall_s": round(wall_s, 3), "virtual_s": virtual_s,
                   "speedup": virtual_s / wall_s if wall_s else 0.0},
        "coordinator": {"rounds": coordinator.n_rounds, "grants": coordinator.n_messages,
                        "wall_limited": coordinator.wall_limited,
                        "market_error": getattr(coordinator, "market_error", None)},
    }


def _participant_result(account: str | None, figures: Any, pnl_all: dict, scores: dict, venue: Venue,
                        start_ns: int, end_ns: int) -> dict[str, Any]:
    """The fields of `cmi_sim.backtest.result.ParticipantResult` for one participant."""
    pnl = dict(pnl_all.get(account, {})) if account else {}
    stats = venue.exchange.rates.stats(account) if account else None
    rejections, rejections_by_endpoint = venue.rejected.of(account) if account else ({}, {})
    fills = figures.fills if figures is not None else []
    return {
        "account": account,
        "pnl": {product: pnl[product] for product in sorted(pnl)},
        "total_pnl": float(sum(pnl.values())),
        "score": scores.get(account) if account else None,
        "fills_count": len(fills),
        "volume": figures.volume if figures is not None else 0,
        "turnover": round(sum(row[3] * row[4] for row in fills), 6),
        "positions_final": dict(sorted(venue.exchange.positions(account).items())) if account else {},
        "max_abs_position": figures.max_abs_position if figures is not None else 0,
        "requests": stats.requests if stats else 0,
        "rule_violations": dict(stats.by_endpoint) if stats else {},
        "rejections": rejections,
        "rejections_by_endpoint": rejections_by_endpoint,
        "statistics": curve_statistics(figures.equity if figures is not None else [], start_ns, end_ns),
    }


def load_result(run_dir: str | Path) -> RunResult:
    """An arena run as the typed run model: `RunResult` with one `ParticipantResult` per bot, in
    participant order (fills and equity as DataFrames)."""
    run_dir = Path(run_dir)
    return from_record(json.loads((run_dir / "run.json").read_text()), run_dir)
