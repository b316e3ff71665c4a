"""`cmi-sim run BOT.py --exchange URL`: an unmodified bot in real (scaled) time against a running serve."""

from __future__ import annotations

from pathlib import Path

import typer

from cmi_sim.cli.errors import user_error


def run(
    bot: Path = typer.Argument(..., help="The bot script, exactly as it runs against the real exchange."),
    bot_args: list[str] | None = typer.Argument(None, help="Arguments for the bot (after --)."),
    exchange: str = typer.Option(..., help="URL of a running `cmi-sim serve`, e.g. http://127.0.0.1:8000."),
    out: Path | None = typer.Option(None, help="Directory for the run's config and result (default: a temporary one)."),
    seed: int = typer.Option(0, help="Seed of the bot's random numbers (the sandbox makes them reproducible)."),
    watchdog: float = typer.Option(30.0, help="Real seconds without progress before a stuck bot is reported."),
) -> None:
    """Run BOT live against a running `cmi-sim serve`, in the same sandbox as a backtest.

    \b
    Its clocks follow the server's session clock (offset and speed read from the server), its
    exchange requests go over HTTP to the server, whatever exchange URL it has hard-coded, and its
    Open-Meteo, Environment Agency and AeroDataBox requests are answered by the server's session
    as of that clock. Several bots, the dashboard and people can share one server.

    \b
    Examples:
      cmi-sim serve --session london-2026-02-28 --speed 60 --port 8000     # in one terminal
      cmi-sim run my_bot.py --exchange http://127.0.0.1:8000               # in another
      cmi-sim run bots/quoter.py --exchange http://127.0.0.1:8000 -- --username alice
    """
    from cmi_sim.live.run import LiveRunError, LiveRunOptions, run_live

    options = LiveRunOptions(bot=bot, exchange=exchange, out=out, seed=seed, watchdog_s=watchdog,
                             bot_args=tuple(bot_args or ()))
    try:
        code, result = run_live(options)
    except LiveRunError as error:
        raise user_error(str(error)) from None
    status = result.get("status", "?")
    if status == "interrupted":
        typer.echo("cmi-sim run: interrupted: the bot was stopped", err=True)
        raise typer.Exit(code)
    forwarded = (result.get("world") or {}).get("forwarded", {})
    refused = len(result.get("refused") or [])
    typer.echo(f"cmi-sim run: {status} at {result.get('virtual_end', '?')} session time; requests to the "
               f"exchange {forwarded.get('exchange', 0)}, to the data APIs {forwarded.get('data', 0)}, "
               f"refused {refused}", err=True)
    if code != 0:
        raise typer.Exit(code)


def register(app: typer.Typer) -> None:
    app.command("run", context_settings={"allow_extra_args": False})(run)
