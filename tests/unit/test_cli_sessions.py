"""`cmi-sim sessions` through a local Typer app."""

from __future__ import annotations

import shutil

import typer
from typer.testing import CliRunner

from cmi_sim.cli.sessions import register
from cmi_sim.sessions.session import _builtin_dirs


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


def test_calibration_prints_the_markets_figures_beside_the_real_ones():
    result = CliRunner().invoke(app(), ["sessions", "replay-sample", "--calibration"])
    assert result.exit_code == 0, result.output
    out = result.output
    for text in ("spread median", "real spread", "trades/h", "LON_ETF - basket gap", "real-market-observations",
                 "TIDE_SPOT", "LON_FLY", "3 | 2 (p90 3)"):
        assert text in out, text


def test_calibration_needs_a_session_with_a_market(tmp_path):
    shutil.copytree(_builtin_dirs()["synthetic"], tmp_path / "s")
    manifest = tmp_path / "s" / "session.toml"
    manifest.write_text(manifest.read_text().replace('kind = "synthetic"\nseed = 1', 'kind = "none"'))
    result = CliRunner().invoke(app(), ["sessions", str(tmp_path / "s"), "--calibration"])
    assert result.exit_code == 1 and "no market" in result.output
    result = CliRunner().invoke(app(), ["sessions", "--calibration"])
    assert result.exit_code == 1 and "needs a session name" in result.output
