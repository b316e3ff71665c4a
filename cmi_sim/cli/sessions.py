"""`cmi-sim sessions [NAME] [--calibration]`: list the built-in sessions, show one and how it settles, or
compare its market with the real exchange."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from cmi_sim.calibration import REAL_SOURCES, measure, real_etf_gaps_bps, real_figures, run_market_alone
from cmi_sim.sessions import DEFAULT_SESSION, Session, SessionError, list_builtin_sessions, load_session
from cmi_sim.world.times import iso_z


def _window(a_ns: int, b_ns: int) -> str:
    return f"{iso_z(a_ns)} -> {iso_z(b_ns)}"


def _list(console: Console) -> None:
    table = Table(title="Built-in sessions")
    table.add_column("name")
    table.add_column("window (UTC)")
    table.add_column("description")
    for name in list_builtin_sessions():
        s = load_session(name)
        label = f"{name} (default)" if name == DEFAULT_SESSION else name
        table.add_row(label, _window(s.start_ns, s.end_ns), s.description)
    console.print(table)


def _show(console: Console, s: Session) -> None:
    info = Table(title=f"Session {s.name}", show_header=False)
    info.add_column("field", style="bold")
    info.add_column("value")
    info.add_row("description", s.description)
    info.add_row("directory", str(s.path))
    info.add_row("window", _window(s.start_ns, s.end_ns))
    info.add_row("trading hours", _window(s.open_ns, s.close_ns))
    info.add_row("seed", str(s.seed))
    info.add_row("market", ", ".join(f"{k}={v}" for k, v in s.market.items()))
    info.add_row("rules", ", ".join(f"{k}={v}" for k, v in s.rules.items()))
    info.add_row("tide publication lag", f"{s.tide_publication_lag_ns // 60_000_000_000} min")
    console.print(info)

    data = Table(title="Data coverage (real vs modelled)")
    data.add_column("series")
    data.add_column("source")
    data.add_column("from -> to (UTC)")
    data.add_column("note")
    for c in s.coverage:
        style = "green" if c.provenance == "real" else "yellow"
        data.add_row(c.series, f"[{style}]{c.provenance}[/{style}]", _window(c.start_ns, c.end_ns), c.note)
    console.print(data)
    for series, note in s.notes.items():
        console.print(f"[bold]{series}[/bold]: {note}")

    values = Table(title="Settlement values (computed from the data)")
    values.add_column("product")
    values.add_column("starting price", justify="right")
    values.add_column("settlement", justify="right")
    for symbol, value in s.settlement_values.items():
        values.add_row(symbol, str(s.products[symbol]), f"{value:.2f}")
    console.print(values)


def _number(value: float | None, digits: int = 0) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def _calibration(console: Console, s: Session, seed: int | None) -> None:
    if s.market.get("kind", "none") == "none":
        raise SessionError(f"{s.name}: has no market ([market].kind = \"none\") to calibrate")
    sim = run_market_alone(s, seed=seed)
    figures = measure(sim, s.open_ns, s.close_ns)
    hours = (s.close_ns - s.open_ns) / 3.6e12
    table = Table(title=f"Market of {s.name} alone ({hours:.1f} h, books rebuilt from its events once a "
                        f"virtual minute) beside the real exchange")
    for column in ("product", "spread median", "spread p90", "real spread", "mid min-max", "real mids",
                   "trades/h"):
        table.add_column(column, justify="left" if column.startswith(("product", "real")) else "right")
    for product, f in figures.items():
        real = real_figures(product)
        table.add_row(product, _number(f.spread_median, 1), _number(f.spread_p90, 1), real["spread"],
                      f"{_number(f.mid_min)}-{_number(f.mid_max)}", real["mid"], _number(f.trades_per_hour))
    console.print(table)
    etf = figures["LON_ETF"]
    real_gaps = ", ".join(f"{g:.0f}" for g in real_etf_gaps_bps())
    total = sum(f.trades_per_hour for f in figures.values())
    console.print(f"LON_ETF - basket gap: median {_number(etf.gap_median_bps, 1)} bps, p90 "
                  f"{_number(etf.gap_p90_bps, 1)} bps (real, at the four moments on record: {real_gaps} bps)")
    console.print(f"trades per hour, all products: {total:,.0f} (real: ~150/h per product filled for one team "
                  f"on Feb 28; perhaps ~5,100/h in all, from one uncertain count)")
    console.print(REAL_SOURCES)
    console.print("The records are thin (15 minutes of challenge books, 2 of TEST, one team's fills): they bound "
                  "the figures, they do not pin them.")


def register(app: typer.Typer) -> None:
    @app.command("sessions")
    def sessions(
        name: str = typer.Argument(None, help="A built-in session name or a session directory; omit to list."),
        seed: int = typer.Option(None, "--seed", help="Override the session's seed (a new synthetic day)."),
        calibration: bool = typer.Option(False, "--calibration",
                                         help="Run the session's market alone and compare it with the real exchange."),
    ) -> None:
        """List the built-in sessions, or show one: window, trading hours, data coverage, settlement; with
        --calibration, its market's spreads, mids, trade rates and ETF-basket gap beside the real ones."""
        console = Console(width=140)
        try:
            if calibration and name is None:
                raise SessionError("--calibration needs a session name")
            if name is None:
                _list(console)
            elif calibration:
                _calibration(console, load_session(name, seed=seed), seed)
            else:
                _show(console, load_session(name, seed=seed))
        except SessionError as e:
            typer.echo(f"error: {e}", err=True)
            raise typer.Exit(1) from None
