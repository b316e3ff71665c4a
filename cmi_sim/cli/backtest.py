"""`cmi-sim backtest BOT.py`: an unmodified bot through a whole session in virtual time."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import typer

from cmi_sim.cli.errors import user_error

EXIT_RUN_FAILED = 3
EXIT_EXPECTATION = 2


def backtest(
    bot: Path = typer.Argument(..., help="The bot script, exactly as it runs against the real exchange."),
    bot_args: list[str] = typer.Argument(None, help="Arguments for the bot, after `--`."),
    session: str = typer.Option("london-2026-02-28", help="Built-in session name or session directory."),
    seed: int | None = typer.Option(None, help="Seed of the run (default: the session's)."),
    user: str | None = typer.Option(None, help="Account to report on (default: the first the bot logs in with)."),
    out: Path | None = typer.Option(None, help="Run directory (default: runs/<bot>-<session>-<settings hash>)."),
    entry: str | None = typer.Option(None, help='For bots that only define a class, e.g. '
                                                '"SimpleQuoter.run_loop(width=5, volume=5, interval=5)".'),
    expect: Path | None = typer.Option(None, help="A stored run.json or summary: exit 2 with a diff if the "
                                                  "summary differs."),
    until: str | None = typer.Option(None, help="Stop early: a UTC time or a duration from the open (6h)."),
    latency_ms: float = typer.Option(1.0, help="Virtual latency of each HTTP request, in milliseconds."),
    watchdog: float = typer.Option(30.0, help="Real seconds without progress before a stuck bot is reported."),
    wall_limit: float = typer.Option(3600.0, help="Real seconds before the run is abandoned."),
    progress: bool = typer.Option(True, help="Show a progress bar (only on a terminal, never in CI)."),
    python: str | None = typer.Option(None, help="Run the bot under this interpreter or virtualenv (its own "
                                                 "package versions); see docs/bots.md."),
    scratch: bool = typer.Option(True, help="Run the bot in a fresh copy of its folder, so files it writes "
                                            "never leak into the next run."),
    output_cap_mb: float = typer.Option(16.0, help="Cap of bot.stdout and bot.stderr in MB (head and tail kept)."),
) -> None:
    """Backtest BOT through a 24-hour session in virtual time, deterministically.

    \b
    Examples:
      cmi-sim backtest bots/quoter.py
      cmi-sim backtest bots/quoter.py --session synthetic --seed 7 --until 6h
      cmi-sim backtest my_bot.py --entry "SimpleQuoter.run_loop(width=5, volume=5, interval=5)"
      cmi-sim backtest bots/quoter.py --expect runs/baseline/run.json     # CI regression of PnL
      cmi-sim backtest bots/quoter.py -- --products TIDE_SPOT WX_SPOT   # arguments for the bot
    """
    from cmi_sim.backtest.launch import BacktestError, BacktestOptions, run_backtest
    from cmi_sim.backtest.report import expectation_diff, load_expected_summary, render_summary
    from cmi_sim.backtest.interpreter import InterpreterError
    from cmi_sim.sessions import SessionError

    options = BacktestOptions(bot=bot, session=session, seed=seed, user=user, out=out, entry=entry, until=until,
                              latency_ms=latency_ms, watchdog_s=watchdog, wall_limit_s=wall_limit,
                              bot_args=tuple(bot_args or ()), python=python, scratch=scratch,
                              output_cap_bytes=int(output_cap_mb * 1e6))
    expected = None
    if expect is not None:
        try:
            expected = load_expected_summary(expect)
        except (OSError, ValueError) as error:
            raise user_error(f"--expect {expect}: {error}") from None
    show_progress = progress and sys.stderr.isatty() and not os.environ.get("CI")
    try:
        if show_progress:
            outcome = _run_with_progress(options, run_backtest)
        else:
            outcome = run_backtest(options)
    except (BacktestError, SessionError, InterpreterError) as error:
        raise user_error(str(error)) from None
    render_summary(outcome.summary, outcome.timing, outcome.run_dir)
    _local_notes(outcome.result)
    failed = outcome.summary["status"] != "ok"
    if failed:
        _explain_failure(outcome)
    if expected is not None:
        differences = expectation_diff(expected, outcome.summary)
        if differences:
            typer.echo(f"cmi-sim: the summary differs from {expect}:", err=True)
            for line in differences:
                typer.echo(f"  {line}", err=True)
            raise typer.Exit(EXIT_EXPECTATION)
        typer.echo(f"summary matches {expect}")
    if failed:
        raise typer.Exit(EXIT_RUN_FAILED)


def _run_with_progress(options, run_backtest):
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("backtest"), BarColumn(), TextColumn("{task.percentage:>3.0f}% of the session"),
                  TimeElapsedColumn(), transient=True) as bar:
        task = bar.add_task("run", total=1.0)
        return run_backtest(options, on_progress=lambda done: bar.update(task, completed=done))


def _local_notes(run) -> None:
    """What the bot did locally: its scratch folder, files that look like look-ahead."""
    if run.get("scratch"):
        typer.echo(f"the bot ran in a scratch copy of its folder: {run['scratch']} (its files are untouched)")
    for item in run.get("files_after_virtual_moment") or []:
        typer.echo(f"warning: the bot read {item['path']}, modified {item['mtime']}, at virtual {item['read_at']}: "
                   "likely look-ahead", err=True)
    if run.get("partial"):
        typer.echo(f"partial result: stopped at virtual {run.get('virtual_end')}", err=True)


def _explain_failure(outcome) -> None:
    run = outcome.result
    bot = run.get("bot") or {}
    if run.get("status") == "watchdog" and run.get("watchdog"):
        report = run["watchdog"]
        typer.echo(f"cmi-sim: the bot stopped making progress: {report.get('message')}", err=True)
        typer.echo(report.get("stuck_stack", ""), err=True)
    elif bot.get("traceback"):
        typer.echo("cmi-sim: the bot raised:", err=True)
        typer.echo(bot["traceback"], err=True)
    else:
        typer.echo(f"cmi-sim: the run ended with status {run.get('status')}: {run.get('note') or ''}", err=True)
    for name, lines in (run.get("last_lines") or {}).items():
        if lines:
            typer.echo(f"  last lines of bot.{name}:", err=True)
            for line in lines[-10:]:
                typer.echo(f"    {line}", err=True)
    typer.echo(f"  bot output: {run.get('stdout_path')} and {run.get('stderr_path')}", err=True)


def register(app: typer.Typer) -> None:
    app.command("backtest", context_settings={"allow_extra_args": False})(backtest)
