"""The sweep directory's journal and tables, the ranking, shipped bundles and the Sharpe figure."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import pytest

from cmi_sim.sweep.bundle import Bundle, BundleError, bot_bundle, session_bundle
from cmi_sim.sweep.ranking import rank, robust_value
from cmi_sim.sweep.store import SweepStore, results_frame


def row(run_id: str, width: int, seed: int, pnl: float, status: str = "ok") -> dict:
    return {"run_id": run_id, "setting": {"width": width}, "seed": seed, "session": "synthetic", "split": "search",
            "trial": None, "status": status, "total_pnl": pnl, "pnl": {"TIDE_SPOT": pnl}, "score": 0.0,
            "max_drawdown": 1.0, "sharpe": 0.5, "fills": 3, "traded_volume": 9, "requests": 10,
            "rate_violations": 0, "wall_s": 1.0, "settled": False, "bot_outcome": "returned", "error": None}


def test_each_run_is_journalled_with_its_files_and_read_back(tmp_path: Path) -> None:
    store = SweepStore(tmp_path)
    store.record({**row("a1", 3, 1, 10.0), "files": {"run.json": b"{}"}})
    store.record(row("b2", 3, 2, -4.0, status="wall_limit"))
    assert (tmp_path / "runs" / "a1" / "run.json").read_bytes() == b"{}"
    with (tmp_path / "runs.jsonl").open("a") as journal:
        journal.write('{"run_id": "c3", "stat')  # a sweep killed in the middle of a line
    again = SweepStore(tmp_path)
    assert set(again.rows) == {"a1", "b2"}
    assert again.done("a1")
    assert not again.done("b2")  # broken outside the bot: run again
    assert not again.done("c3")
    assert "files" not in json.loads((tmp_path / "runs.jsonl").read_text().splitlines()[0])


def test_results_have_one_row_per_run_with_typed_columns(tmp_path: Path) -> None:
    store = SweepStore(tmp_path)
    for item in (row("a", 3, 1, 10.0), row("b", 6, 1, 2.0), row("c", 6, 2, 1.0, status="bot_error")):
        store.record(item)
    path = store.write_results(["a", "b", "c", "missing"], ["width"])
    frame = pd.read_parquet(path)
    assert list(frame["run_id"]) == ["a", "b", "c"]
    assert {"width", "seed", "total_pnl", "status", "pnl_TIDE_SPOT", "score", "max_drawdown", "sharpe", "fills",
            "requests", "wall_s", "run_id", "session"} <= set(frame.columns)
    assert frame["width"].tolist() == [3, 6, 6] and frame["total_pnl"].dtype == "float64"


def test_mixed_words_and_numbers_are_stored_as_words(tmp_path: Path) -> None:
    frame = results_frame([row("a", 3, 1, 1.0), {**row("b", 0, 1, 1.0), "setting": {"width": "wide"}}], ["width"])
    frame.to_parquet(tmp_path / "r.parquet")
    assert pd.read_parquet(tmp_path / "r.parquet")["width"].tolist() == ["3", "wide"]


def test_robustness_ranks_a_steady_setting_above_a_lucky_one() -> None:
    rows = [row("1", 1, 1, 100.0), row("2", 1, 2, -80.0),  # lucky: mean 10, large spread
            row("3", 2, 1, 8.0), row("4", 2, 2, 6.0),  # steady: mean 7
            row("5", 3, 1, 50.0), row("6", 3, 2, 50.0, status="bot_error")]  # broken: last whatever its PnL
    table = rank(results_frame(rows, ["width"]), ["width"], "total_pnl")
    assert table["width"].tolist() == [2, 1, 3]
    assert table["rank"].tolist() == [1, 2, 3]
    steady = table.iloc[0]
    assert (steady["mean"], steady["worst"], steady["best"], steady["runs"], steady["broken"]) == (7.0, 6.0, 8.0, 2, 0)
    assert steady["robust"] == pytest.approx(7.0 - math.sqrt(2))
    assert robust_value([5.0]) == (5.0, 0.0, 5.0)


def test_a_bundle_is_named_by_its_content_and_written_once(tmp_path: Path) -> None:
    folder = tmp_path / "bot"
    (folder / "pkg").mkdir(parents=True)
    (folder / "bot.py").write_text("import helper\n")
    (folder / "helper.py").write_text("X = 1\n")
    (folder / "pkg" / "data.json").write_text("{}")
    (folder / "__pycache__").mkdir()
    (folder / "__pycache__" / "helper.cpython-311.pyc").write_bytes(b"\0")
    (folder / ".git").mkdir()
    (folder / ".git" / "HEAD").write_text("ref")
    out = folder / "sweep-out"
    out.mkdir()
    (out / "runs.jsonl").write_text("{}")
    bundle, name = bot_bundle(folder / "bot.py", skip=(out,))
    assert name == "bot.py"
    assert [path for path, _ in bundle.files] == ["bot.py", "helper.py", "pkg/data.json"]
    again, _ = bot_bundle(folder / "bot.py", skip=(out,))
    assert again.digest == bundle.digest
    (folder / "helper.py").write_text("X = 2\n")
    assert bot_bundle(folder / "bot.py", skip=(out,))[0].digest != bundle.digest
    target = bundle.materialize(tmp_path / "cache")
    assert target.name == bundle.digest and (target / "helper.py").read_text() == "X = 1\n"
    assert bundle.materialize(tmp_path / "cache") == target


def test_a_bundle_too_large_to_ship_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import cmi_sim.sweep.bundle as bundle_module

    monkeypatch.setattr(bundle_module, "MAX_FILES", 2)
    for name in ("bot.py", "a.py", "b.py"):
        (tmp_path / name).write_text("")
    with pytest.raises(BundleError, match="folder of its own"):
        bot_bundle(tmp_path / "bot.py")


def test_a_session_bundle_takes_a_recording_from_outside_its_folder(tmp_path: Path) -> None:
    from cmi_sim.sessions import load_session

    builtin = load_session("replay-sample").path
    session = tmp_path / "sessions" / "mine"
    session.mkdir(parents=True)
    manifest = (builtin / "session.toml").read_text().replace('recording = "recording"',
                                                              'recording = "../../recordings/day1"')
    (session / "session.toml").write_text(manifest)
    recording = tmp_path / "recordings" / "day1"
    recording.mkdir(parents=True)
    for file in (builtin / "recording").iterdir():
        (recording / file.name).write_bytes(file.read_bytes())
    bundle, inside = session_bundle(session)
    assert inside == "sessions/mine"
    names = {path for path, _ in bundle.files}
    assert "sessions/mine/session.toml" in names and any(n.startswith("recordings/day1/") for n in names)
    copy = bundle.materialize(tmp_path / "cache") / inside
    assert load_session(copy).name == "replay-sample"


def test_a_bundle_digest_depends_on_names_and_contents() -> None:
    assert Bundle.of({"a": b"1"}).digest != Bundle.of({"b": b"1"}).digest
    assert Bundle.of({"a": b"1"}).digest != Bundle.of({"a": b"2"}).digest
    assert Bundle.of({"a": b"1", "b": b""}).digest == Bundle.of({"b": b"", "a": b"1"}).digest
