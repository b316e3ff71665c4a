"""`cmi-sim sessions` through a local Typer app."""

from __future__ import annotations

import typer
from typer.testing import CliRunner

from cmi_sim.cli.sessions import register


def app() -> typer.Typer:
    a = typer.Typer()
    register(a)

    @a.command("noop")  # a second command keeps Typer in multi-command mode, as in the real CLI
    def noop() -> None: ...

    return a


def test_sessions_without_name_lists_builtins():
    result = CliRunner().invoke(app(), ["sessions"])
    assert result.exit_code == 0, result.output
    assert "london-2026-02-28" in result.output and "synthetic" in result.output


def test_sessions_london_shows_window_coverage_and_settlement():
    result = CliRunner().invoke(app(), ["sessions", "london-2026-02-28"])
    assert result.exit_code == 0, result.output
    out = result.output
    for text in ("2026-02-28T14:30:00Z", "modelled", "real", "TIDE_SWING", "LON_FLY", "4682.80", "1179.00", "harmonic"):
        assert text in out, text


def test_sessions_unknown_name_exits_1_with_one_line():
    result = CliRunner().invoke(app(), ["sessions", "no-such-session"])
    assert result.exit_code == 1
    assert "no-such-session" in result.output
