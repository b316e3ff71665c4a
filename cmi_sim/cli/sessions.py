"""`cmi-sim sessions [NAME]`: list the built-in sessions, or show one and how it settles."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

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


def register(app: typer.Typer) -> None:
    @app.command("sessions")
    def sessions(
        name: str = typer.Argument(None, help="A built-in session name or a session directory; omit to list."),
        seed: int = typer.Option(None, "--seed", help="Override the session's seed (a new synthetic day)."),
    ) -> None:
        """List the built-in sessions, or show one: window, trading hours, data coverage, settlement."""
        console = Console(width=160)
        try:
            if name is None:
                _list(console)
            else:
                _show(console, load_session(name, seed=seed))
        except SessionError as e:
            typer.echo(f"error: {e}", err=True)
            raise typer.Exit(1) from None
