"""The run model: a validated, hashed RunSpec whose id covers everything that can change a result, and
a run directory that never silently holds two different runs."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from cmi_sim.backtest.launch import run_dir_for, to_run_config
from cmi_sim.backtest.plan import ConfigError, build_spec
from cmi_sim.backtest.spec import RunSpec
from cmi_sim.sessions.session import _builtin_dirs

BOT = "import time\nwhile True:\n    time.sleep(60)\n"


@pytest.fixture
def copied(tmp_path: Path) -> tuple[Path, Path]:
    """A bot with a helper module beside it, and a copy of the synthetic session."""
    (tmp_path / "bot").mkdir()
    bot = tmp_path / "bot" / "bot.py"
    bot.write_text("import helper\n" + BOT)
    (tmp_path / "bot" / "helper.py").write_text("WIDTH = 3\n")
    session = tmp_path / "session"
    shutil.copytree(_builtin_dirs()["synthetic"], session)
    return bot, session


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


def test_the_id_changes_with_everything_that_can_change_the_result(copied, tmp_path):
    bot, session = copied
    base = build_spec(bot, session=session, until="1h")
    assert base.id == build_spec(bot, session=session, until="1h").id  # stable
    variants = {
        "seed": build_spec(bot, session=session, until="1h", seed=5),
        "until": build_spec(bot, session=session, until="2h"),
        "rules": build_spec(bot, session=session, until="1h", rules={"rate_limit": "enforce"}),
        "events": build_spec(bot, session=session, until="1h", events="none"),
        "latency": build_spec(bot, session=session, until="1h", latency_ms=2.0),
        "args": build_spec(bot, session=session, until="1h", args=["--width", "3"]),
        "env": build_spec(bot, session=session, until="1h", env={"WIDTH": "3"}),
    }
    (bot.parent / "helper.py").write_text("WIDTH = 4\n")  # a module beside the bot that it imports
    variants["helper module"] = build_spec(bot, session=session, until="1h")
    _edit(session / "session.toml", 'kind = "synthetic"\nseed = 1', 'kind = "synthetic"\nseed = 2')  # market seed
    variants["market seed"] = build_spec(bot, session=session, until="1h")
    ids = [spec.id for spec in variants.values()]
    assert base.id not in ids and len(set(ids)) == len(ids)
    # limits only decide whether a run is abandoned: same run
    assert build_spec(bot, session=session, until="1h", watchdog_s=5).id == variants["market seed"].id


def test_a_changed_market_seed_gets_a_new_run_directory(copied, tmp_path, monkeypatch):
    bot, session = copied
    monkeypatch.chdir(tmp_path)
    first = run_dir_for(build_spec(bot, session=session, until="1h"))
    _edit(session / "session.toml", 'kind = "synthetic"\nseed = 1', 'kind = "synthetic"\nseed = 9')
    second = run_dir_for(build_spec(bot, session=session, until="1h"))
    assert first != second and first.parent == second.parent == tmp_path / "runs"


def test_a_directory_holding_another_run_is_never_overwritten(copied, tmp_path):
    bot, session = copied
    spec = build_spec(bot, session=session, until="1h")
    out = run_dir_for(spec, tmp_path / "out")
    (out / "spec.json").write_text(__import__("json").dumps(spec.to_dict()))
    assert run_dir_for(spec, out) == out  # the same run again: fine
    with pytest.raises(ConfigError, match="holds another run"):
        run_dir_for(build_spec(bot, session=session, until="2h"), out)
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "notes.txt").write_text("mine")
    with pytest.raises(ConfigError, match="not empty"):
        run_dir_for(spec, tmp_path / "busy")


def test_the_spec_round_trips_through_json_and_builds_the_childs_config(copied, tmp_path):
    bot, session = copied
    spec = build_spec(bot, session=session, until="90m", rules={"mark": "mid"}, env={"A": "1"}, args=["x"])
    again = RunSpec.from_dict(__import__("json").loads(__import__("json").dumps(spec.to_dict())))
    assert again == spec and again.id == spec.id
    config = to_run_config(spec, tmp_path)
    assert config.duration_s == 90 * 60 and config.argv == ("x",)
    assert config.environment_args["rules"]["mark"] == "mid" and config.environment_args["events"] == "full"
    assert spec.differences(again) == []
    other = build_spec(bot, session=session, until="90m", rules={"mark": "last"}, env={"A": "1"}, args=["x"])
    assert other.differences(spec) == ["rules.mark: 'mid' -> 'last'"]


@pytest.mark.parametrize("settings, message", [
    ({"until": "yesterday"}, "--until"),
    ({"until": "30h"}, "--until"),
    ({"events": "some"}, "--events"),
    ({"rules": {"rate_limit": "sometimes"}}, "rate_limit"),
    ({"rules": {"position_limt": 5}}, "position_limt"),
    ({"entry": "not a call"}, "--entry"),
    ({"session": "atlantis"}, "atlantis"),
    ({"python": "/no/such/python"}, "python"),
    ({"cwd": "/no/such/folder"}, "cwd"),
    ({"latency_ms": -1}, "--latency-ms"),
    ({"watchdog_s": 0}, "--watchdog"),
])
def test_bad_settings_are_refused_by_name_before_any_run(copied, settings, message):
    bot, _ = copied
    with pytest.raises(ConfigError, match=message):
        build_spec(bot, **settings)


def test_a_typo_in_market_params_is_refused_naming_the_setting_and_the_file(copied):
    bot, session = copied
    _edit(session / "session.toml", "[market.params]", "[market.params]\nnoise_trader = 12")
    with pytest.raises(ConfigError, match=r"session\.toml: unknown \[market\.params\] setting\(s\): noise_trader"):
        build_spec(bot, session=session)


def test_a_missing_bot_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="no bot file"):
        build_spec(tmp_path / "nope.py")
