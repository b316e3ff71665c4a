"""Runaway loops: slower than real time is reported, the wall limit gives a partial result, stream storms stop."""

from __future__ import annotations

from pathlib import Path

from cmi_sim.backtest import RunConfig, run_in_child

REPO = Path(__file__).resolve().parents[2]
BOTS = Path(__file__).resolve().parent / "bots"


def test_slower_than_real_time_is_noticed_and_the_wall_limit_writes_a_partial_result(tmp_path: Path) -> None:
    notices: list[str] = []
    config = RunConfig(bot=str(BOTS / "crawler.py"), environment="tests.backtest.toy_world:make_environment",
                       result_path=str(tmp_path / "r.json"), sys_path=(str(REPO),), duration_s=3600,
                       slow_window_s=1.0)
    result = run_in_child(config, workdir=tmp_path / "run", wall_limit_s=4, on_notice=notices.append)
    assert result["status"] == "wall_limit" and result["partial"] is True, result.get("note")
    assert result["child_exit_code"] == 3
    assert 0 < result["virtual_elapsed_s"] < 3600  # how far it got, not "stopped at None"
    assert result["transport"]["n_requests"] > 0
    assert result["world"]["published"] >= 0  # the world's result (PnL so far, in the real world) is there
    assert result["slow"]["virtual_s"] < result["slow"]["real_s"]
    assert any(n.startswith("[cmi-sim] warning: slower than real time") for n in notices)
    assert any(line.startswith("requests ") for line in result["last_lines"]["stdout"])
    assert result["wall_s_parent"] < 4 + 10


def test_a_stream_reconnect_storm_stops_the_run_naming_the_loop(run_bot) -> None:
    result = run_bot("reconnector.py", duration_s=3600)
    assert result["status"] == "storm", result.get("note")
    assert result["storm"]["stream_opens"] == 200
    assert result["storm"]["where"].endswith("reconnector.py:6 in <module>")
    assert result["virtual_elapsed_s"] < 10
