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
from cmi_sim.arena.spec import ArenaSpec, SpecError, parse_until
from cmi_sim.arena.venue import Venue
from cmi_sim.backtest.config import RunConfig
from cmi_sim.backtest.parent import child_env
from cmi_sim.exchange import format_timestamp
from cmi_sim.sessions import load_session

__all__ = ["ArenaOutcome", "run_arena", "BOT_WORLD"]

BOT_WORLD = "cmi_sim.arena.bot_side:make_world"
RUN_VERSION = 1


@dataclass
class ArenaOutcome:
    run_dir: Path
    leaderboard: list[dict[str, Any]]
    record: dict[str, Any]

    @property
    def failed(self) -> list[dict[str, Any]]:
        return [row for row in self.leaderboard if row["status"] != "ok"]


def run_arena(spec: ArenaSpec, out: Path | None = None, wall_limit_s: float = 3600.0,
              on_progress: Callable[[float], None] | None = None, tables: bool = True) -> ArenaOutcome:
    """Run every participant in its own process through the session; write the run directory."""
    if not spec.participants:
        raise SpecError("an arena needs at least one bot")
    if spec.latency_ms <= 0:
        raise SpecError("--latency-ms must be above 0 in an arena (half the latency is what lets bots run "
                        "in parallel)")
    spec = spec.with_names()
    session = load_session(spec.session, seed=spec.seed)
    end_ns = session.close_ns if spec.until is None else parse_until(spec.until, session.open_ns)
    if not session.open_ns < end_ns <= session.close_ns:
        raise SpecError(f"--until must fall within trading hours, {format_timestamp(session.open_ns)} to "
                        f"{format_timestamp(session.close_ns)}")
    digest = spec.digest()
    run_dir = (out or Path("runs") / f"arena-{session.name}-{digest[:8]}").resolve()
    run_dir.mkdir(parents=True, exist_ok=True)
    seed = session.seed if spec.seed is None else spec.seed
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
    coordinator = Coordinator(venue, launches, end_ns, latency_ns, settle=end_ns == session.close_ns,
                              wall_limit_s=wall_limit_s, progress=progress if on_progress else None)
    try:
        coordinator.start()
        coordinator.run()
    finally:
        coordinator.shutdown()
        venue.close()
    wall_s = time.monotonic() - started
    record = _record(spec, digest, session, end_ns, venue, coordinator, run_dir, wall_s, tables)
    (run_dir / "run.json").write_text(json.dumps(record, indent=1, default=repr))
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
        bot=participant.bot, world=BOT_WORLD, result_path=str(result_path), start=format_timestamp(open_ns),
        duration_s=(end_ns - open_ns) / 1e9, argv=participant.args,
        seed=seed * 1_000 + index,  # each process its own entropy; copies of a bot do not draw alike
        latency_ms=0.0,  # the bot side's router applies the latency (and tells the coordinator early)
        grace_s=spec.grace_s, watchdog_s=spec.watchdog_s, run_to_end=False,
        cwd=participant.cwd or str(Path.cwd()), world_args={"latency_ns": latency_ns},
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


def _status(bot: BotState, result: dict[str, Any] | None) -> tuple[str, str]:
    """(status, why) of one participant: `ok`, `failed` or `wall_limit`."""
    if bot.end_reason == "wall_limit":
        return "wall_limit", "the run hit its wall-clock limit"
    if bot.end_reason is not None:
        return "failed", bot.end_reason
    if result is None:
        code = bot.exit_code
        signal_name = f" (killed by signal {-code})" if code is not None and code < 0 else ""
        return "failed", f"the bot process died without a result, exit code {code}{signal_name}"
    outcome = (result.get("bot") or {}).get("outcome")
    status = result.get("status")
    if status == "watchdog":
        return "failed", f"watchdog: {(result.get('watchdog') or {}).get('where', '')}"
    if status not in ("ok", None) or outcome == "raised":
        return "failed", (result.get("bot") or {}).get("exception") or result.get("note") or str(status)
    if outcome == "os._exit" and (result.get("bot") or {}).get("exit_code", 0) != 0:
        return "failed", f"the bot called os._exit({result['bot']['exit_code']})"
    if outcome == "exit" and (result.get("bot") or {}).get("exit_code", 0) != 0:
        return "failed", f"the bot exited with code {result['bot']['exit_code']}"
    return "ok", result.get("note") or ""


def _record(spec: ArenaSpec, digest: str, session: Any, end_ns: int, venue: Venue, coordinator: Coordinator,
            run_dir: Path, wall_s: float, tables: bool) -> dict[str, Any]:
    pnl_all = venue.pnl()
    all_accounts = [name for i in range(len(spec.participants)) for name in venue.accounts_of(i)]
    final = pnl_all if venue.settled_pnl is not None else None
    figures_of, events_sha = journal_figures(run_dir / "events.jsonl", all_accounts, dict(session.products),
                                             final, end_ns)
    if tables:
        write_run_tables(run_dir, figures_of)
    entries = []
    for bot, participant in zip(coordinator.bots, spec.participants):
        index = bot.launch.index
        bot_dir = bot.launch.stdout_path.parent
        result_path = bot_dir / "result.json"
        result = _read_result(result_path)
        status, why = _status(bot, result)
        accounts = venue.accounts_of(index)
        account = accounts[0] if accounts else None
        figures = figures_of[account] if account else None
        if tables and figures is not None:
            write_tables(bot_dir, figures)
        stats = venue.exchange.rates.stats(account) if account else None
        entries.append({
            "name": participant.name, "bot": participant.bot, "args": list(participant.args),
            "account": account, "accounts": accounts, "status": status, "why": why,
            "outcome": ((result or {}).get("bot") or {}).get("outcome"),
            "fills": len(figures.fills) if figures else 0, "volume": figures.volume if figures else 0,
            "max_abs_position": figures.max_abs_position if figures else 0,
            "max_drawdown": figures.max_drawdown if figures else 0.0,
            "rejections": figures.rejections if figures else {},
            "requests": stats.requests if stats else 0, "rate_violations": stats.violations if stats else 0,
            "requests_sent": bot.n_requests,
            "refused_requests": len((result or {}).get("refused") or []),
            "blocked_network": len((result or {}).get("blocked") or []),
            "left_at": _left_at(bot, result),
            "exit_code": bot.exit_code, "output": str(bot_dir),
        })
    leaderboard = build_leaderboard(entries, pnl_all)
    virtual_s = (end_ns - session.open_ns) / 1e9
    return {
        "run_version": RUN_VERSION,
        "spec": spec.identity(), "spec_digest": digest, "versions": _versions(),
        "session": session.name, "virtual_start": format_timestamp(session.open_ns),
        "virtual_end": format_timestamp(end_ns), "settled": venue.settled_pnl is not None,
        "settlement": dict(session.settlement_values) if venue.settled_pnl is not None else None,
        "market": "none" if venue.simulation.market is None else session.market.get("kind"),
        "leaderboard": leaderboard,
        "events_sha256": events_sha, "n_events": venue.journal.count,
        "timing": {"wall_s": round(wall_s, 3), "virtual_s": virtual_s, "speedup": virtual_s / wall_s if wall_s else 0.0},
        "coordinator": {"rounds": coordinator.n_rounds, "grants": coordinator.n_messages,
                        "wall_limited": coordinator.wall_limited,
                        "market_error": getattr(coordinator, "market_error", None)},
    }
