"""`cmi-sim backtest BOT.py`: an unmodified bot through a whole session in virtual time.

Exit codes: 0 the run completed (and matched `--expect`); 1 a configuration error, refused before the
run; 2 a command-line usage error; 3 the run failed (the bot exited non-zero or raised, a bot thread
raised, event handlers printed tracebacks, the watchdog, the simulator); 4 the summary differs from
`--expect`.
"""

from __future__ import annotations

import os
import sys
from enum import Enum
from pathlib import Path

import typer
from typer.core import TyperCommand

from cmi_sim.backtest.spec import REAL_EXCHANGE_LATENCY_MS
from cmi_sim.cli.errors import user_error
from cmi_sim.cli.serve import Mark, OrderVolume, RateLimit, SelfTrade

EXIT_CONFIG = 1
EXIT_RUN_FAILED = 3
EXIT_EXPECTATION = 4
TAIL_LINES = 10


class Events(str, Enum):
    full = "full"
    compact = "compact"
    none = "none"


class _BotArgsAfterDashDash(TyperCommand):
    """Remembers what came after `--`: only that goes to the bot, so a second bot path given by mistake
    is refused instead of being passed to the first bot as an argument."""

    def parse_args(self, ctx, args):  # type: ignore[no-untyped-def]
        ctx.meta["after_dashdash"] = list(args[args.index("--") + 1:]) if "--" in args else []
        return super().parse_args(ctx, args)


def backtest(
    ctx: typer.Context,
    bot: Path = typer.Argument(..., help="The bot script, exactly as it runs against the real exchange."),
    bot_args: list[str] = typer.Argument(None, help="Arguments for the bot, after `--`."),
    session: str = typer.Option("london-2026-02-28", help="Built-in session name or session directory."),
    seed: int | None = typer.Option(None, help="Seed of the run (default: the session's)."),
    user: str | None = typer.Option(None, "--account", "--user",
                                    help="Account to report on (default: the first the bot logs in with)."),
    out: Path | None = typer.Option(None, help="Run directory (default: runs/<bot>-<session>-<run id>). A "
                                               "directory holding another run is never overwritten."),
    entry: str | None = typer.Option(None, help='For bots that only define a class, e.g. '
                                                '"SimpleQuoter.run_loop(width=5, volume=5, interval=5)".'),
    until: str | None = typer.Option(None, help="Stop early: a UTC time or a duration from the open (6h)."),
    events: Events = typer.Option(Events.full, help="The event log: every event, compact (trades, rejections, "
                                                    "settlement) or none. The figures are the same."),
    position_limit: int | None = typer.Option(None, help="Net position limit per product [default: the session's]."),
    limit_counts_resting: bool | None = typer.Option(
        None, "--limit-counts-resting/--limit-ignores-resting",
        help="Count resting same-side orders against the position limit [default: the session's]."),
    order_volume: OrderVolume | None = typer.Option(None, help="What an order's `volume` reports [default: the session's]."),
    rate_limit: RateLimit | None = typer.Option(None, help="One-request-per-second rule: off, report or enforce (429) "
                                                           "[default: the session's]."),
    requests_per_second: int | None = typer.Option(None, help="The rate rule's allowance [default: the session's]."),
    self_trade: SelfTrade | None = typer.Option(None, help="Allow self-trades or prevent them [default: the session's]."),
    mark: Mark | None = typer.Option(None, help="The exchange's mark for PnL before settlement: last trade or mid "
                                                "[default: the session's]."),
    env: list[str] = typer.Option(None, help="KEY=VALUE for the bot's environment (repeat the option)."),
    expect: Path | None = typer.Option(None, help="A baseline (from --save-baseline), run.json or run directory: "
                                                  "exit 4 with a diff if the chosen metrics differ."),
    expect_metrics: str | None = typer.Option(None, help="Metrics --expect compares, comma-separated, or `all` "
                                                         "[default: status,total_pnl,pnl,score,fills]."),
    tolerance: str | None = typer.Option(None, help="How far numbers may move: 0.5, 1%, or per metric "
                                                    "total_pnl=1%,fills=2 [default: exact]."),
    save_baseline: Path | None = typer.Option(None, help="Write this run's summary and settings to FILE, a "
                                                         "baseline for --expect."),
    latency_ms: float = typer.Option(
        REAL_EXCHANGE_LATENCY_MS, help="Virtual round trip of each HTTP request, in ms (default: a laptop in London "
                                       "to the real exchange's AWS region, eu-west-1; see README)."),
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
    Exit codes: 0 completed, 1 configuration error (nothing ran), 2 usage error,
                3 the run failed (the summary says why), 4 differs from --expect.
    \b
    Examples:
      cmi-sim backtest bots/quoter.py
      cmi-sim backtest bots/quoter.py --session synthetic --seed 7 --until 6h
      cmi-sim backtest bots/quoter.py --rate-limit enforce --events none
      cmi-sim backtest my_bot.py --entry "SimpleQuoter.run_loop(width=5, volume=5, interval=5)"
      cmi-sim backtest bots/quoter.py --save-baseline ci/quoter.json               # once
      cmi-sim backtest bots/quoter.py --expect ci/quoter.json --tolerance 1%      # in CI
      cmi-sim backtest bots/quoter.py -- --products TIDE_SPOT WX_SPOT   # arguments for the bot
    """
    import functools

    from cmi_sim.backtest.expect import BaselineError, load_baseline, parse_metrics, parse_tolerances
    from cmi_sim.sandbox.interpreter import InterpreterError, resolve_python
    from cmi_sim.backtest.launch import run
    from cmi_sim.backtest.plan import ConfigError, build_spec

    run = functools.partial(run, scratch=scratch, output_cap_bytes=int(output_cap_mb * 1e6))

    bot_args = list(bot_args or ())
    passed = ctx.meta.get("after_dashdash", [])
    if bot_args != passed:
        extra = bot_args[:len(bot_args) - len(passed)]
        raise user_error(f"unexpected argument(s) {' '.join(extra)}: one bot per backtest; arguments for the "
                         f"bot go after --, e.g. cmi-sim backtest {bot} -- {' '.join(extra)}")
    environment = {}
    for item in env or ():
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise user_error(f"--env: expected KEY=VALUE, got {item!r}")
        environment[key] = value
    rules = {"position_limit": position_limit, "limit_counts_resting": limit_counts_resting,
             "order_volume": order_volume, "rate_limit": rate_limit, "requests_per_second": requests_per_second,
             "self_trade": self_trade, "mark": mark}
    rules = {key: value.value if isinstance(value, Enum) else value for key, value in rules.items()
             if value is not None}
    if save_baseline is not None and save_baseline.is_dir():
        raise user_error(f"--save-baseline: {save_baseline} is a directory; name a file, e.g. {save_baseline}/baseline.json")
    try:
        baseline = load_baseline(expect) if expect is not None else None
        from cmi_sim.backtest.report import SUMMARY_KEYS

        metrics = parse_metrics(expect_metrics, SUMMARY_KEYS)
        tolerances = parse_tolerances(tolerance)
    except BaselineError as error:
        raise user_error(f"--expect: {error}") from None
    except ValueError as error:
        raise user_error(f"--expect-metrics/--tolerance: {error}") from None
    try:
        interpreter = resolve_python(python) if python is not None else None
        spec = build_spec(bot, session=session, seed=seed, account=user, args=bot_args, entry=entry, until=until,
                          rules=rules, events=events.value, latency_ms=latency_ms, watchdog_s=watchdog,
                          wall_limit_s=wall_limit, env=environment, python=interpreter)
        show_progress = progress and sys.stderr.isatty() and not os.environ.get("CI")
        result = _run_with_progress(spec, out, run) if show_progress else run(spec, out=out)
    except (ConfigError, InterpreterError) as error:
        raise user_error(str(error)) from None
    render(result)
    _local_notes(result.child)
    if save_baseline is not None:
        from cmi_sim.backtest.expect import save_baseline as write_baseline

        record = {"run_id": result.id, "spec": result.spec.to_dict(), "summary": result.summary}
        try:
            write_baseline(save_baseline, record)
        except OSError as error:
            raise user_error(f"--save-baseline {save_baseline}: {error.strerror or error}") from None
        typer.echo(f"baseline saved: {save_baseline}")
    if not result.ok:
        _explain_failure(result)
    matches = _check_expectation(baseline, result, metrics, tolerances) if baseline is not None else True
    if not result.ok:
        raise typer.Exit(EXIT_RUN_FAILED)  # a broken run outranks a changed result
    if not matches:
        raise typer.Exit(EXIT_EXPECTATION)


def _run_with_progress(spec, out, run):
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("backtest"), BarColumn(), TextColumn("{task.percentage:>3.0f}% of the session"),
                  TimeElapsedColumn(), transient=True) as bar:
        task = bar.add_task("run", total=1.0)
        return run(spec, out=out, on_progress=lambda done: bar.update(task, completed=done))


def render(result) -> None:
    from cmi_sim.backtest.report import render_summary

    render_summary(result.summary, result.timing, result.run_dir)


def _local_notes(facts) -> None:
    """What the bot did locally: its scratch folder, files that look like look-ahead, a partial result."""
    if facts.get("scratch"):
        typer.echo(f"the bot ran in a scratch copy of its folder: {facts['scratch']} (its own files are untouched)")
    for item in facts.get("files_after_virtual_moment") or []:
        typer.echo(f"warning: the bot read {item['path']}, modified {item['mtime']}, at virtual {item['read_at']}: "
                   "likely look-ahead", err=True)
    if facts.get("partial"):
        typer.echo(f"partial result: stopped at virtual {facts.get('virtual_end')}", err=True)


def _explain_failure(result) -> None:
    from cmi_sim.backtest.outcome import last_lines

    typer.echo(f"cmi-sim: the run FAILED ({len(result.errors)} kind(s) of error):", err=True)
    for error in result.errors:
        count = f" x{error.count}" if error.count > 1 else ""
        typer.echo(f"  {error.kind}{count}: {error.message}", err=True)
    first = next((error for error in result.errors if error.traceback), None)
    if first is not None:
        typer.echo(f"first traceback ({first.kind}):", err=True)
        typer.echo(first.traceback.rstrip(), err=True)
    facts = result.child
    for label, key in (("stdout", "stdout_path"), ("stderr", "stderr_path")):
        lines = last_lines(facts.get(key), TAIL_LINES)
        if lines:
            typer.echo(f"the bot's last {len(lines)} line(s) on {label} ({facts.get(key)}):", err=True)
            for line in lines:
                typer.echo(f"  | {line}", err=True)


def _check_expectation(baseline, result, metrics, tolerances) -> bool:
    from cmi_sim.backtest.expect import compare

    comparison = compare(baseline, result.summary, metrics, tolerances, spec=result.spec)
    stream_err = not comparison.ok
    typer.echo(f"--expect {baseline.source}: " + ("matches" if comparison.ok else
                                                   f"{comparison.failures} metric(s) differ"), err=stream_err)
    for line in comparison.lines:
        typer.echo(f"  {line}", err=stream_err)
    if comparison.settings:
        typer.echo("  settings differ from the baseline's run (baseline -> this run):", err=stream_err)
        for line in comparison.settings:
            typer.echo(f"    {line}", err=stream_err)
    return comparison.ok


def register(app: typer.Typer) -> None:
    app.command("backtest", cls=_BotArgsAfterDashDash, context_settings={"allow_extra_args": False})(backtest)
