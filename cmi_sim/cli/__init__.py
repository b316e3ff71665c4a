"""The `cmi-sim` command line: parse, build the configuration, call the library.

Each command lives in its own module with a `register(app)` function; user errors print one line on
stderr and exit 1, with the traceback only under `--debug`.
"""

from __future__ import annotations

import importlib

import typer

from cmi_sim import __version__

HELP = """\
cmi-sim: the CMI Exchange on your own machine, and a deterministic backtester for unmodified bots.

Examples:

\b
  cmi-sim backtest bots/quoter.py           # a bot through the default 24-hour London session
  cmi-sim serve --port 8000                 # a local CMI Exchange for any bot
  HTTP_PROXY=http://127.0.0.1:8000 python bot.py   # point a bot with a hard-coded URL at it
  cmi-sim run bot.py --exchange http://127.0.0.1:8000   # a bot live on a serve's session clock
  cmi-sim sessions london-2026-02-28        # what a session contains and how it settles
"""

app = typer.Typer(help=HELP, no_args_is_help=True, add_completion=False, rich_markup_mode=None,
                  context_settings={"max_content_width": 110})

# Command modules, registered if present: later commands join this list.
COMMAND_MODULES = ("serve", "sessions", "backtest", "record", "run", "hash_password", "sweep", "report", "arena")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"cmi-sim {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help="Show the version and exit."),
) -> None:
    """cmi-sim command line."""


def _register_commands() -> None:
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f"cmi_sim.cli.{name}")
        except ModuleNotFoundError as error:
            if error.name == f"cmi_sim.cli.{name}":
                continue  # command not built yet
            raise
        module.register(app)


_register_commands()


def main() -> None:
    app()
