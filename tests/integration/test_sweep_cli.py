"""`cmi-sim sweep` end to end: real bots, real worker processes, a real local Ray, a real Optuna study."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from cmi_sim.sweep import Delivery, SweepSpec, parse_params, run_sweep

REPO = Path(__file__).resolve().parents[2]
QUOTER = REPO / "bots" / "quoter.py"
ECHO = Path(__file__).resolve().parent / "sweep_bots" / "echo_params.py"
pytestmark = pytest.mark.slow  # each test runs several backtests
ACCEPTANCE = ["--param", "width=3,6", "--seeds", "1,2", "--session", "synthetic", "--until", "30m", "--workers", "2"]


def sweep(*args: str, env: dict[str, str], timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cmi_sim", "sweep", *args], capture_output=True, text=True,
                          timeout=timeout, env=env)


def journal(directory: Path) -> list[dict]:
    return [json.loads(line) for line in (directory / "runs.jsonl").read_text().splitlines()]


@pytest.fixture(scope="module")
def sweep_a(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess, dict[str, str]]:
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    out = tmp_path_factory.mktemp("sweep") / "A"
    done = sweep(str(QUOTER), *ACCEPTANCE, "--out", str(out), env=env)
    return out, done, env


def test_the_acceptance_sweep_gives_one_row_per_run(sweep_a) -> None:
    out, done, _ = sweep_a
    assert done.returncode == 0, done.stderr
    results = pd.read_parquet(out / "results.parquet")
    assert len(results) == 4
    assert {"width", "seed", "total_pnl", "status", "session", "score", "max_drawdown", "sharpe", "fills", "requests",
            "wall_s", "run_id"} <= set(results.columns)
    assert any(column.startswith("pnl_") for column in results.columns)
    assert sorted(zip(results["width"], results["seed"])) == [(3, 1), (3, 2), (6, 1), (6, 2)]
    assert set(results["status"]) == {"ok"} and set(results["session"]) == {"synthetic"}
    assert results["run_id"].is_unique and results["requests"].min() > 0
    # per-product PnL adds up to the total
    pnl = results[[c for c in results.columns if c.startswith("pnl_")]].sum(axis=1)
    assert (pnl - results["total_pnl"]).abs().max() < 1e-6
    ranking = pd.read_csv(out / "ranking.csv")
    assert sorted(ranking["width"]) == [3, 6] and list(ranking["rank"]) == [1, 2]
    assert "settings ranked by robustness" in done.stdout
    assert (out / "distribution.png").stat().st_size > 1000
    # light runs: the summary's tables, no event log
    for run_id in results["run_id"]:
        files = {p.name for p in (out / "runs" / run_id).iterdir()}
        assert {"run.json", "fills.parquet", "equity.parquet"} <= files and "events.jsonl" not in files
    assert not list(out.rglob("events.jsonl"))


def test_running_the_same_command_again_runs_nothing(sweep_a) -> None:
    out, first, env = sweep_a
    assert first.returncode == 0, first.stderr
    before = pd.read_parquet(out / "results.parquet")
    lines = len(journal(out))
    done = sweep(str(QUOTER), *ACCEPTANCE, "--out", str(out), env=env)
    assert done.returncode == 0, done.stderr
    assert "0 run(s) ran, 4 done before" in done.stdout
    assert " ran  " not in done.stdout
    assert len(journal(out)) == lines
    pd.testing.assert_frame_equal(pd.read_parquet(out / "results.parquet"), before)


def test_ray_gives_the_same_results_shipping_files_by_content(sweep_a, tmp_path: Path) -> None:
    ray = pytest.importorskip("ray")  # the test extra installs it; see pyproject
    out_a, first, env = sweep_a
    assert first.returncode == 0, first.stderr
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        address = ray.get_runtime_context().gcs_address
        # Ray's token authentication: the client finds its mode in the environment ray.init set
        env = {**env, **{k: v for k, v in os.environ.items() if k.startswith("RAY_")}}
        out_b = tmp_path / "B"
        done = sweep(str(QUOTER), *ACCEPTANCE, "--backend", "ray", "--address", address, "--out", str(out_b), env=env)
    finally:
        ray.shutdown()
    assert done.returncode == 0, done.stderr
    a = pd.read_parquet(out_a / "results.parquet").set_index(["width", "seed"]).sort_index()
    b = pd.read_parquet(out_b / "results.parquet").set_index(["width", "seed"]).sort_index()
    assert len(b) == 4
    pd.testing.assert_series_equal(a["total_pnl"], b["total_pnl"])
    assert list(a["run_id"]) == list(b["run_id"])  # the same runs, by identity
    assert "on ray with 2 worker(s)" in done.stdout
    # the workers ran a copy of the bot's folder named by its content, not the user's path
    run = json.loads((out_b / "runs" / b["run_id"].iloc[0] / "run.json").read_text())
    script = Path(run["spec"]["participants"][0]["script"])
    assert script != QUOTER and script.name == "quoter.py"
    assert script.parent.name.startswith(tuple("0123456789abcdef"))
    # and the run model sees the same run on both backends: the same spec id
    assert list(a["spec_id"]) == list(b["spec_id"])


def test_an_interrupted_sweep_keeps_its_finished_runs_and_resumes(tmp_path: Path, clean_env) -> None:
    out = tmp_path / "I"
    args = [str(QUOTER), "--param", "width=2,4,8", "--seeds", "1", "--session", "synthetic", "--until", "10m",
            "--workers", "1", "--out", str(out)]
    proc = subprocess.Popen([sys.executable, "-m", "cmi_sim", "sweep", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=clean_env, start_new_session=True)
    try:
        deadline = time.monotonic() + 300
        while not ((out / "runs.jsonl").exists() and (out / "runs.jsonl").read_text().strip()):
            assert proc.poll() is None and time.monotonic() < deadline, "the sweep never finished a run"
            time.sleep(0.1)
        os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C: the whole foreground group
        _, stderr = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    kept = {row["run_id"] for row in journal(out) if row["status"] == "ok"}
    assert proc.returncode == 130, stderr
    assert "run the same command again" in stderr
    assert 1 <= len(kept) < 3
    done = sweep(*args, env=clean_env)
    assert done.returncode == 0, done.stderr
    assert f"{3 - len(kept)} run(s) ran, {len(kept)} done before" in done.stdout
    results = pd.read_parquet(out / "results.parquet")
    assert sorted(results["width"]) == [2, 4, 8] and set(results["status"]) == {"ok"}
    assert kept <= set(results["run_id"])


def echo_sweep(tmp_path: Path, name: str, params: list[str], delivery: Delivery, **options) -> tuple:
    spec = SweepSpec(bot=ECHO, out=tmp_path / name, params=parse_params(params), seeds=(1,), sessions=("synthetic",),
                     until="5m", workers=2, delivery=delivery, **options)
    outcome = run_sweep(spec)
    echoes = {}
    for row in outcome.results.to_dict(orient="records"):
        stderr = (tmp_path / name / "runs" / row["run_id"] / "bot.stderr").read_text()
        echoes[tuple(row[p.name] for p in spec.params)] = json.loads(stderr.splitlines()[-1])
    return outcome, echoes


def test_values_reach_the_bot_as_options_after_its_fixed_arguments(tmp_path: Path) -> None:
    outcome, echoes = echo_sweep(tmp_path, "args", ["a=1,2", "b=x,y"], Delivery(fixed_args=("--fixed", "7")))
    assert outcome.ran == 4 and outcome.broken == 0
    assert echoes[(2, "y")]["argv"] == ["--fixed", "7", "--a", "2", "--b", "y"]
    assert all(echo["cwd_empty"] for echo in echoes.values())  # each run works in a directory of its own
    assert (tmp_path / "args" / "heatmap.png").stat().st_size > 1000  # two parameters: a heatmap


def test_values_reach_the_bot_through_a_template_the_environment_or_an_entry_call(tmp_path: Path) -> None:
    _, echoes = echo_sweep(tmp_path, "template", ["width=3,6"], Delivery(mode="template",
                                                                         template="--config w{width}.json"))
    assert echoes[(6,)]["argv"] == ["--config", "w6.json"]
    _, echoes = echo_sweep(tmp_path, "env", ["ECHO_WIDTH=3,6"], Delivery(mode="env"))
    assert echoes[(3,)]["env"] == "3" and echoes[(6,)]["env"] == "6" and echoes[(6,)]["argv"] == []
    assert "ECHO_WIDTH" not in os.environ
    _, echoes = echo_sweep(tmp_path, "entry", ["width=3,6"], Delivery(mode="entry", entry="EchoBot.run(volume=5)"))
    assert echoes[(6,)] == {"entry": {"volume": 5, "width": 6}}


def test_a_random_search_draws_its_settings_from_the_space_with_its_seed(tmp_path: Path) -> None:
    outcome, echoes = echo_sweep(tmp_path, "random", ["a=1:50:1", "b=log:1.0:100.0:3"], Delivery(),
                                 search="random", trials=3, search_seed=5)
    assert outcome.ran == 3 and len(echoes) == 3
    assert all(1 <= a <= 50 and 1.0 <= b <= 100.0 for a, b in echoes)
    for (a, b), echo in echoes.items():
        assert echo["argv"] == ["--a", str(a), "--b", str(b)]
    again, _ = echo_sweep(tmp_path, "random", ["a=1:50:1", "b=log:1.0:100.0:3"], Delivery(),
                          search="random", trials=3, search_seed=5)
    assert (again.ran, again.reused) == (0, 3)  # the same seed draws the same settings: nothing to run


def test_a_broken_run_is_reported_with_a_non_zero_exit(tmp_path: Path, clean_env) -> None:
    out = tmp_path / "broken"
    done = sweep(str(ECHO), "--param", "fail=yes", "--session", "synthetic", "--until", "5m", "--workers", "1",
                 "--out", str(out), env=clean_env)
    assert done.returncode == 3, done.stdout + done.stderr
    assert "1 run(s) broke" in done.stderr
    results = pd.read_parquet(out / "results.parquet")
    assert results["status"].tolist() == ["bot_exit"] and "exited with code 2" in results["error"].iloc[0]
    run_id = results["run_id"].iloc[0]
    assert (out / "runs" / run_id / "bot.stderr").read_text() == "refusing --fail\n"


@pytest.mark.parametrize("args, message", [
    (["--param", "width=3,,6"], "--param 'width=3,,6': an empty value"),
    (["--param", "width=3", "--trials", "4"], "--trials is for --search random or optuna"),
    (["--param", "width=3", "--search", "optuna"], "--search optuna needs --trials"),
    (["--param", "width=3", "--seeds", "1-2", "--holdout-seeds", "2"], "must differ from the searched ones"),
    (["--param", "status=1"], "taken by a results column"),
    (["--param", "width=3", "--until", "40h"], "trading hours"),
    (["--param", "width=3", "--session", "nowhere"], "no such built-in session"),
    (["--param", "width=3", "--backend", "nope"], "--backend must be one of local, ray"),
    (["--param", "width=3", "--objective", "luck"], "--objective must be one of"),
])
def test_bad_options_are_one_line_errors_before_anything_runs(tmp_path: Path, clean_env, args, message) -> None:
    out = tmp_path / "bad"
    done = sweep(str(QUOTER), "--session", "synthetic", *args, "--out", str(out), env=clean_env, timeout=120) \
        if "--session" not in args else sweep(str(QUOTER), *args, "--out", str(out), env=clean_env, timeout=120)
    assert done.returncode == 1
    assert done.stderr.startswith("cmi-sim: error: ") and message in done.stderr, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert not (out / "runs.jsonl").exists()


def test_optuna_resumes_its_study_and_checks_the_best_setting_out_of_sample(tmp_path: Path) -> None:
    spec = SweepSpec(bot=QUOTER, out=tmp_path / "tpe", params=parse_params(["width=1:12:1"]), seeds=(1,),
                     sessions=("synthetic",), until="10m", search="optuna", trials=3, workers=2, holdout_seeds=(2,))
    first = run_sweep(spec)
    assert first.broken == 0 and (tmp_path / "tpe" / "optuna.db").exists()
    searched = first.results[first.results["split"] == "search"]
    assert len(searched) == searched["width"].nunique() <= 3
    assert first.best == {"width": int(first.ranking.iloc[0]["width"])}
    holdout = first.holdout.iloc[0]
    assert holdout["width"] == first.best["width"] and holdout["out_of_sample_runs"] == 1
    held = first.results[first.results["split"] == "holdout"]
    assert held["seed"].tolist() == [2] and held["width"].tolist() == [first.best["width"]]
    summary = json.loads((tmp_path / "tpe" / "sweep.json").read_text())
    assert summary["best"] == first.best and summary["holdout"][0]["out_of_sample_runs"] == 1

    lines = len(journal(tmp_path / "tpe"))
    again = run_sweep(SweepSpec(**{**spec.__dict__, "trials": 4}))
    import optuna

    study = optuna.load_study(study_name=optuna.get_all_study_names(f"sqlite:///{tmp_path / 'tpe' / 'optuna.db'}")[0],
                              storage=f"sqlite:///{tmp_path / 'tpe' / 'optuna.db'}")
    assert sum(t.state == optuna.trial.TrialState.COMPLETE for t in study.trials) == 4
    # one new trial (Optuna may propose a width already run: then nothing runs), perhaps a new best held out
    assert again.ran <= 2 and len(journal(tmp_path / "tpe")) == lines + again.ran
    widths = {t.params["width"] for t in study.trials}
    assert set(again.results[again.results["split"] == "search"]["width"]) == widths
