"""`cmi-sim report RUN_DIR`: (re)build a run directory's report.html."""

from __future__ import annotations

from pathlib import Path

import typer

from cmi_sim.cli.errors import user_error


def report(run_dir: Path = typer.Argument(..., help="A run directory (as `cmi-sim backtest` writes).")) -> None:
    """Build RUN_DIR/report.html: prices with the bot's fills, positions, PnL, equity and drawdown, the
    statistics, settlement, the bot's log and the leaderboard, in one file that opens offline.

    \b
    Examples:
      cmi-sim report runs/quoter-london-2026-02-28-8dea4492
      xdg-open runs/quoter-london-2026-02-28-8dea4492/report.html
    """
    from cmi_sim.backtest.html_report import ReportError, write_html_report

    try:
        path = write_html_report(run_dir)
    except ReportError as error:
        raise user_error(str(error)) from None
    typer.echo(f"cmi-sim: wrote {path}")


def register(app: typer.Typer) -> None:
    app.command("report")(report)
