"""`cmi-sim arena BOT.py BOT.py ...`: several unmodified bots in one deterministic session, with a leaderboard."""

from __future__ import annotations

import os
import sys
from dataclasses import replace
from pathlib import Path

import typer

from cmi_sim.cli.errors import user_error

EXIT_BOT_FAILED = 3


def arena(
    bots: list[Path] = typer.Argument(None, help="Bot scripts, each in its own process (repeat a file for "
                                                 "copies; give copies other args in a spec file)."),
    spec: Path | None = typer.Option(None, "--spec", help="An arena.toml: bots with args, copies, limits "
                                                          "(command-line bots join its list)."),
    session: str | None = typer.Option(None, help="Built-in session name or session directory "
                                                  "(default: the spec's, else london-2026-02-28)."),
    until: str | None = typer.Option(None, help="Stop early: a UTC time or a duration from the open (6h)."),
    out: Path | None = typer.Option(None, help="Run directory (default: runs/arena-<session>-<spec digest>)."),
    no_market: bool = typer.Option(False, "--no-market", help="Bots trade only with each other."),
    seed: int | None = typer.Option(None, help="Seed of the run (default: the session's)."),
    latency_ms: float | None = typer.Option(None, help="Virtual latency of each HTTP request, ms (default: the "
                                                       "backtest's, 20; must be above 0)."),
    stream_cadence_ms: float | None = typer.Option(
        None, help="Publish stream frames in batches at multiples of this from the open (default 0: each at "
                   "its event's instant, as on the exchange). An approximation for speed; see docs/arena.md."),
    memory_mb: int | None = typer.Option(None, help="Address-space limit of each bot process, MiB."),
    cpu_s: float | None = typer.Option(None, help="CPU-time limit of each bot process, seconds."),
    wall_limit: float = typer.Option(3600.0, help="Real seconds before the run is abandoned."),
    progress: bool = typer.Option(True, help="Show a progress bar (only on a terminal, never in CI)."),
) -> None:
    """Run several bots against each other (and the synthetic market) in one virtual-time session.

    \b
    Examples:
      cmi-sim arena bots/quoter.py bots/etf_arb.py bots/fair_value.py --until 6h
      cmi-sim arena --spec arena.toml --out runs/league
      cmi-sim arena bots/quoter.py bots/etf_arb.py --no-market
    """
    from cmi_sim.arena.run import run_arena
    from cmi_sim.arena.spec import ArenaSpec, SpecError, load_spec, participant_from_path
    from cmi_sim.sessions import SessionError

    try:
        base = load_spec(spec) if spec is not None else ArenaSpec(participants=())
        extra = tuple(participant_from_path(bot) for bot in bots or ())
        changes: dict = {"participants": base.participants + extra}
        for name, value in (("session", session), ("until", until), ("seed", seed), ("latency_ms", latency_ms),
                            ("stream_cadence_ms", stream_cadence_ms)):
            if value is not None:
                changes[name] = value
        if no_market:
            changes["market"] = False
        arena_spec = replace(base, **changes)
        if memory_mb is not None or cpu_s is not None:
            arena_spec = replace(arena_spec, participants=tuple(
                replace(p, memory_mb=memory_mb if memory_mb is not None else p.memory_mb,
                        cpu_s=cpu_s if cpu_s is not None else p.cpu_s) for p in arena_spec.participants))
        show_progress = progress and sys.stderr.isatty() and not os.environ.get("CI")
        if show_progress:
            outcome = _run_with_progress(arena_spec, out, wall_limit, run_arena)
        else:
            outcome = run_arena(arena_spec, out=out, wall_limit_s=wall_limit)
    except (SpecError, SessionError) as error:
        raise user_error(str(error)) from None
    _render(outcome)
    if outcome.failed:
        for row in outcome.failed:
            typer.echo(f"cmi-sim: {row['name']} {row['status']}: {row['why']} (output in {row['output']})", err=True)
        raise typer.Exit(EXIT_BOT_FAILED)


def _run_with_progress(spec, out, wall_limit, run_arena):
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("arena"), BarColumn(), TextColumn("{task.percentage:>3.0f}% of the session"),
                  TimeElapsedColumn(), transient=True) as bar:
        task = bar.add_task("run", total=1.0)
        return run_arena(spec, out=out, wall_limit_s=wall_limit,
                         on_progress=lambda done: bar.update(task, completed=done))


def _render(outcome) -> None:
    from cmi_sim.arena.leaderboard import render_leaderboard

    record = outcome.record
    timing = record["timing"]
    facts = [
        ("session", f"{record['session']} ({record['virtual_start']} to {record['virtual_end']}"
                    + (", settled" if record["settled"] else ", not settled") + f"; market {record['market']})"),
        ("events", f"{record['n_events']} (sha256 {record['events_sha256'][:16]}…)"),
        ("wall time / speed-up", f"{timing['wall_s']:.1f} s / {timing['speedup']:,.0f}x real time"),
        ("run directory", str(outcome.run_dir)),
    ]
    render_leaderboard(outcome.leaderboard, facts)


def register(app: typer.Typer) -> None:
    app.command("arena")(arena)
