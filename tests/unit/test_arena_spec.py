"""The arena's spec file, names and digest; the leaderboard's order and score."""

from __future__ import annotations

from pathlib import Path

import pytest

from cmi_sim.arena.leaderboard import build_leaderboard
from cmi_sim.arena.spec import ArenaSpec, SpecError, load_spec, participant_from_path


@pytest.fixture
def bot(tmp_path: Path) -> Path:
    path = tmp_path / "bots" / "maker.py"
    path.parent.mkdir()
    path.write_text("print('hi')\n")
    return path


def test_a_spec_file_gives_participants_with_copies_and_limits(tmp_path, bot):
    spec_path = tmp_path / "arena.toml"
    spec_path.write_text('session = "synthetic"\nuntil = "2h"\nseed = 3\n\n'
                         '[[bot]]\npath = "bots/maker.py"\n\n'
                         '[[bot]]\npath = "bots/maker.py"\nname = "wide"\ncopies = 2\n'
                         'args = ["--username", "wide_{copy}", "--width", 9]\nmemory_mb = 512\ncpu_s = 60\n'
                         'env = { MODE = "x" }\n')
    spec = load_spec(spec_path).with_names()
    assert (spec.session, spec.until, spec.seed) == ("synthetic", "2h", 3)
    assert [p.name for p in spec.participants] == ["maker", "wide-1", "wide-2"]
    assert spec.participants[2].args == ("--username", "wide_2", "--width", "9")
    assert spec.participants[1].memory_mb == 512 and spec.participants[1].cpu_s == 60
    assert spec.participants[1].env == (("MODE", "x"),)
    assert all(p.bot == str(bot.resolve()) for p in spec.participants)


def test_repeated_scripts_get_numbered_names(bot):
    spec = ArenaSpec(participants=(participant_from_path(bot), participant_from_path(bot))).with_names()
    assert [p.name for p in spec.participants] == ["maker-1", "maker-2"]


def test_the_digest_follows_what_decides_the_events(bot):
    one = ArenaSpec(participants=(participant_from_path(bot),), until="1h")
    before = one.digest()
    assert one.digest() == ArenaSpec(participants=(participant_from_path(bot),), until="1h").digest()
    assert one.digest() != ArenaSpec(participants=(participant_from_path(bot, ("--x",)),), until="1h").digest()
    assert one.digest() != ArenaSpec(participants=(participant_from_path(bot),), until="2h").digest()
    bot.write_text("print('changed')\n")  # the bot's content is part of the identity
    assert before != ArenaSpec(participants=(participant_from_path(bot),), until="1h").digest()


@pytest.mark.parametrize("text, message", [
    ('[[bot]]\npath = "nowhere.py"\n', "no bot file"),
    ('[[bot]]\nargs = []\n', "needs path"),
    ('[[bot]]\npath = "bots/maker.py"\ncopies = 0\n', "copies"),
    ('[[bot]]\npath = "bots/maker.py"\ncolour = "red"\n', "unknown keys"),
    ('speed = 3\n', "unknown keys"),
    ('[[bot]\n', "arena.toml"),
])
def test_bad_spec_files_are_one_clear_error(tmp_path, bot, text, message):
    spec_path = tmp_path / "arena.toml"
    spec_path.write_text(text)
    with pytest.raises(SpecError, match=message):
        load_spec(spec_path)


def test_the_leaderboard_orders_by_score_over_the_participants_only():
    entries = [{"name": "a", "bot": "a.py", "account": "alice", "status": "ok"},
               {"name": "b", "bot": "b.py", "account": "bob", "status": "failed"},
               {"name": "c", "bot": "c.py", "account": None, "status": "failed"}]
    pnl = {"alice": {"TIDE_SPOT": 10.0, "WX_SUM": -5.0}, "bob": {"TIDE_SPOT": 30.0},
           "maker-1": {"TIDE_SPOT": 1000.0, "WX_SUM": -1000.0}}
    board = build_leaderboard(entries, pnl)
    assert [row["name"] for row in board] == ["b", "a", "c"]
    assert [row["rank"] for row in board] == [1, 2, 3]
    by_name = {row["name"]: row for row in board}
    assert by_name["b"]["score"] == pytest.approx(4 * 30 / 40)  # the market maker's gains do not count
    assert by_name["a"]["score"] == pytest.approx(4 * 10 / 40 - 1.0)
    assert by_name["a"]["total_pnl"] == 5.0
    assert by_name["c"]["score"] == 0.0 and by_name["c"]["pnl"] == {}
    assert by_name["a"]["participant"] == 1


def test_the_stream_cadence_is_part_of_the_identity_and_read_from_the_file(tmp_path, bot):
    exact = ArenaSpec(participants=(participant_from_path(bot),), until="1h")
    batched = ArenaSpec(participants=(participant_from_path(bot),), until="1h", stream_cadence_ms=1000)
    assert exact.digest() == exact.run_spec().id  # the default leaves the run model's id as it is
    assert batched.digest() != exact.digest()
    assert batched.digest() == ArenaSpec(participants=(participant_from_path(bot),), until="1h",
                                         stream_cadence_ms=1000.0).digest()  # 1000 and 1000.0 are one cadence
    spec_path = tmp_path / "arena.toml"
    spec_path.write_text('stream_cadence_ms = 250\n\n[[bot]]\npath = "bots/maker.py"\n')
    assert load_spec(spec_path).stream_cadence_ms == 250
    assert load_spec(spec_path).arena_options()["stream_cadence_ms"] == 250


@pytest.mark.parametrize("cadence", [-1, "1s", True])
def test_a_bad_stream_cadence_is_one_clear_error(bot, cadence):
    with pytest.raises(SpecError, match="stream_cadence_ms"):
        ArenaSpec(participants=(participant_from_path(bot),), stream_cadence_ms=cadence).run_spec()
