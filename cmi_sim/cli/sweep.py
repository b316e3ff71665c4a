"""`cmi-sim sweep BOT.py`: a parameter search over many backtests, on local cores or on Ray."""

from __future__ import annotations

from pathlib import Path

import typer

from cmi_sim.backtest.spec import REAL_EXCHANGE_LATENCY_MS
from cmi_sim.cli.errors import user_error

EXIT_RUNS_BROKEN = 3
EXIT_INTERRUPTED = 130
SHOWN_REUSED = 10


def sweep(
    bot: Path = typer.Argument(..., help="The bot script, unmodified."),
    bot_args: list[str] = typer.Argument(None, help="Fixed arguments for the bot in every run, after `--`."),
    param: list[str] = typer.Option(None, "--param", help="NAME=VALUES: a list 3,6,9, a range 2:10:2 or a log "
                                                          "range log:1:100:5. Repeat for more parameters."),
    seeds: str = typer.Option("1", help="Seeds of the searched runs: 1-8, 1,2,5 or 1-4,9."),
    session: list[str] = typer.Option(None, "--session", help="Session(s) searched (repeat for more; default "
                                                               "london-2026-02-28)."),
    until: str | None = typer.Option(None, help="Stop each run early: a UTC time or a duration from the open (1h)."),
    search: str = typer.Option("grid", help="grid (every setting), random or optuna (TPE), with --trials."),
    trials: int | None = typer.Option(None, help="Settings to try with --search random or optuna."),
    search_seed: int = typer.Option(0, help="Seed of the random or Optuna search's own draws."),
    objective: str = typer.Option("total_pnl", help="total_pnl, score or sharpe: what the ranking weighs."),
    workers: int | None = typer.Option(None, help="Runs at once (default: one per core; on a Ray cluster, its CPUs)."),
    backend: str = typer.Option("local", help="local (a process pool) or ray."),
    address: str | None = typer.Option(None, help="Ray cluster address (default: start a local Ray)."),
    holdout_seeds: str | None = typer.Option(None, help="Seeds kept out of the search: the chosen setting is "
                                                        "reported on them."),
    holdout_session: list[str] = typer.Option(None, "--holdout-session", help="Session(s) kept out of the search."),
    holdout_top: int = typer.Option(1, help="How many of the best settings to check on the held-out runs."),
    via: str | None = typer.Option(None, help="How values reach the bot: args (--NAME V, the default), template "
                                              "(--args-template), env (environment variables) or entry (keyword "
                                              "arguments of --entry)."),
    args_template: str | None = typer.Option(None, help='The bot\'s arguments with {name} slots, e.g. '
                                                        '"--width {width} --volume {volume}".'),
    entry: str | None = typer.Option(None, help='For class-only bots, e.g. "SimpleQuoter.run_loop(volume=5)".'),
    latency_ms: float = typer.Option(REAL_EXCHANGE_LATENCY_MS, help="Virtual round trip of each HTTP request, in ms "
                                                                     "(the same default as cmi-sim backtest)."),
    watchdog: float = typer.Option(30.0, help="Real seconds without progress before a stuck bot is reported."),
    wall_limit: float = typer.Option(3600.0, help="Real seconds before a run is abandoned."),
    keep_events: bool = typer.Option(False, help="Keep each run's full events.jsonl (large; off by default)."),
    out: Path = typer.Option(..., help="The sweep directory (results.parquet, ranking.csv, plots, runs/)."),
) -> None:
    """Backtest BOT over a grid or search of parameter values, seeds and sessions, in parallel.

    Finished runs are kept as they finish: run the same command again after an interruption and it
    runs only what is missing. Each run's values reach the bot as its own options (--width 3).

    \b
    Examples:
      cmi-sim sweep bots/quoter.py --param width=3,6 --seeds 1,2 --session synthetic --until 1h --out sweeps/a
      cmi-sim sweep bots/quoter.py --param width=2:10:2 --param interval=log:1:30:4 --seeds 1-8 \\
          --holdout-seeds 9-12 --session synthetic --out sweeps/b
      cmi-sim sweep bots/quoter.py --param width=1:20:1 --search optuna --trials 30 --seeds 1-4 --out sweeps/c
      cmi-sim sweep bots/quoter.py --param width=3,6 --backend ray --address ray://head:10001 --out sweeps/d
    """
    from cmi_sim.sweep import Delivery, SpaceError, SweepError, SweepSpec, parse_params, parse_seeds, run_sweep
    from cmi_sim.sweep.ranking import render_ranking

    mode = via or ("template" if args_template else "entry" if entry else "args")
    try:
        spec = SweepSpec(
            bot=bot, out=out, params=parse_params(list(param or [])), seeds=parse_seeds(seeds),
            sessions=tuple(session or ("london-2026-02-28",)), until=until, search=search, trials=trials,
            search_seed=search_seed, objective=objective, workers=workers, backend=backend, address=address,
            holdout_seeds=parse_seeds(holdout_seeds, "--holdout-seeds") if holdout_seeds else (),
            holdout_sessions=tuple(holdout_session or ()), holdout_top=holdout_top,
            delivery=Delivery(mode=mode, template=args_template, entry=entry, fixed_args=tuple(bot_args or ())),
            latency_ms=latency_ms, watchdog_s=watchdog, wall_limit_s=wall_limit, keep_events=keep_events,
        )
    except SpaceError as error:
        raise user_error(str(error)) from None

    def started(workers: int) -> None:
        typer.echo(f"sweep: {spec.search} search of {bot} on {backend} with {workers} worker(s), into {out}")

    reused_shown = [0]

    def finished(row: dict, reused: bool) -> None:
        setting = " ".join(f"{k}={v}" for k, v in (row.get("setting") or {}).items())
        where = f"{row.get('session')} seed {row.get('seed')}"
        if reused:  # a resumed sweep names a few of the runs it skips, then counts them at the end
            reused_shown[0] += 1
            if reused_shown[0] <= SHOWN_REUSED:
                typer.echo(f"  done before  {setting} {where}: {row['status']}")
            elif reused_shown[0] == SHOWN_REUSED + 1:
                typer.echo("  ... (more runs done before)")
            return
        figure = f"total_pnl {row['total_pnl']:,.2f}" if row.get("total_pnl") is not None else row.get("error") or ""
        typer.echo(f"  ran          {setting} {where}: {row['status']} {figure} ({row.get('wall_s') or 0:.1f} s)")

    try:
        outcome = run_sweep(spec, on_run=finished, on_start=started)
    except SweepError as error:
        raise user_error(str(error)) from None
    except KeyboardInterrupt:
        typer.echo(f"cmi-sim: interrupted; the finished runs are kept in {out}: run the same command again to "
                   f"run the rest", err=True)
        raise typer.Exit(EXIT_INTERRUPTED) from None
    names = [p.name for p in spec.params]
    render_ranking(outcome.ranking, names, spec.objective)
    if outcome.holdout is not None:
        for _, row in outcome.holdout.iterrows():
            setting = " ".join(f"{name}={row[name]}" for name in names)
            typer.echo(f"held out: {setting}: {spec.objective} mean {row['out_of_sample_mean']:,.2f} "
                       f"(worst {row['out_of_sample_worst']:,.2f}, {row['out_of_sample_runs']} runs) against "
                       f"{row['in_sample_mean']:,.2f} in the search")
    typer.echo(f"{outcome.ran} run(s) ran, {outcome.reused} done before; results in "
               f"{outcome.directory / 'results.parquet'}")
    if outcome.broken:
        typer.echo(f"cmi-sim: {outcome.broken} run(s) broke; see the status and error columns of results.parquet "
                   f"and runs/<run_id>/bot.stderr", err=True)
        raise typer.Exit(EXIT_RUNS_BROKEN)


def register(app: typer.Typer) -> None:
    app.command("sweep")(sweep)
