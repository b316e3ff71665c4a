"""A parameter sweep: plan the runs, run those not done yet, rank the settings, check the best out of
sample, and write the sweep directory.

Every run has an id, the hash of everything that determines it: cmi-sim's version, the bot's folder
(content), the session (content), seed, end time, latency, and the arguments, environment and entry call
the setting becomes. The same command run again finds its runs done and runs nothing.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cmi_sim import __version__
from cmi_sim.backtest.spec import REAL_EXCHANGE_LATENCY_MS
from cmi_sim.sessions import DEFAULT_SESSION
from cmi_sim.sweep.bundle import Bundle, BundleError, bot_bundle, session_bundle
from cmi_sim.sweep.delivery import Delivery
from cmi_sim.sweep.ranking import OBJECTIVES, rank, robust_value
from cmi_sim.sweep.runner import OnRun, Runner
from cmi_sim.sweep.space import Param, SpaceError, Value, grid, random_settings
from cmi_sim.sweep.store import RESERVED, SweepStore, results_frame
from cmi_sim.sweep.task import RunTask

SEARCHES = ("grid", "random", "optuna")
SUMMARY = "sweep.json"
RANKING = "ranking.csv"
HOLDOUT = "holdout.csv"


class SweepError(ValueError):
    """A user error in the sweep's options (one line, said before anything runs)."""


@dataclass(frozen=True)
class SweepSpec:
    bot: Path
    out: Path
    params: tuple[Param, ...] = ()
    seeds: tuple[int, ...] = (1,)
    sessions: tuple[str, ...] = (DEFAULT_SESSION,)
    until: str | None = None
    search: str = "grid"
    trials: int | None = None
    search_seed: int = 0
    objective: str = "total_pnl"
    workers: int | None = None
    backend: str = "local"
    address: str | None = None
    holdout_seeds: tuple[int, ...] = ()
    holdout_sessions: tuple[str, ...] = ()
    holdout_top: int = 1
    delivery: Delivery = field(default_factory=Delivery)
    latency_ms: float = REAL_EXCHANGE_LATENCY_MS
    watchdog_s: float = 30.0
    wall_limit_s: float = 3600.0
    keep_events: bool = False


@dataclass
class SweepOutcome:
    results: Any  # pandas DataFrame: this sweep's runs (results.parquet)
    ranking: Any  # one row per searched setting, best first
    holdout: Any | None  # the chosen settings on the held-out runs, beside their in-sample figures
    best: dict[str, Value] | None
    ran: int
    reused: int
    broken: int
    directory: Path
    plots: list[Path]


@dataclass(frozen=True)
class _Session:
    key: str  # what the task names: a built-in name, or an absolute directory
    label: str  # what the user wrote
    digest: str
    end_ns: int
    bundle: tuple[Bundle, str] | None  # directories only: shipped to Ray workers


def _digest(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()[:16]


def _check(spec: SweepSpec) -> None:
    names = [p.name for p in spec.params]
    for name in names:
        if name in RESERVED or name.startswith("pnl_"):
            raise SweepError(f"--param {name}: the name is taken by a results column; rename it (e.g. via "
                             f"--args-template)")
    if spec.objective not in OBJECTIVES:
        raise SweepError(f"--objective must be one of {', '.join(OBJECTIVES)}, got {spec.objective!r}")
    if spec.search not in SEARCHES:
        raise SweepError(f"--search must be one of {', '.join(SEARCHES)}, got {spec.search!r}")
    if spec.search == "grid" and spec.trials is not None:
        raise SweepError("--trials is for --search random or optuna; a grid runs every setting")
    if spec.search != "grid" and (spec.trials is None or spec.trials < 1):
        raise SweepError(f"--search {spec.search} needs --trials N (N >= 1)")
    if spec.search != "grid" and not spec.params:
        raise SweepError(f"--search {spec.search} needs at least one --param")
    if not spec.seeds:
        raise SweepError("--seeds: at least one seed")
    if spec.workers is not None and spec.workers < 1:
        raise SweepError("--workers must be at least 1")
    if spec.holdout_top < 1:
        raise SweepError("--holdout-top must be at least 1")
    if spec.address and spec.backend != "ray":
        raise SweepError("--address is for --backend ray")
    search = {(s, seed) for s in spec.sessions for seed in spec.seeds}
    overlap = sorted(search & set(_holdout_pairs(spec)))
    if overlap:
        raise SweepError(f"the held-out runs must differ from the searched ones: {overlap[0][0]} seed {overlap[0][1]} "
                         f"is in both")
    if not spec.bot.is_file():
        raise SweepError(f"no bot file {spec.bot}")
    try:
        spec.delivery.check(names)
    except SpaceError as error:
        raise SweepError(str(error)) from None


def _holdout_pairs(spec: SweepSpec) -> list[tuple[str, int]]:
    if not spec.holdout_seeds and not spec.holdout_sessions:
        return []
    sessions = spec.holdout_sessions or spec.sessions
    seeds = spec.holdout_seeds or spec.seeds
    return [(s, seed) for s in sessions for seed in seeds]


def _resolve_sessions(spec: SweepSpec) -> dict[str, _Session]:
    from cmi_sim.backtest.plan import ConfigError, load_checked_session, parse_until
    from cmi_sim.sessions import list_builtin_sessions

    builtin = set(list_builtin_sessions())
    resolved: dict[str, _Session] = {}
    for label in dict.fromkeys((*spec.sessions, *spec.holdout_sessions)):
        try:
            session = load_checked_session(label, None)
            end_ns = session.close_ns if spec.until is None else parse_until(spec.until, session)
            if not session.open_ns < end_ns <= session.close_ns:
                raise SweepError(f"--until must fall within {label}'s trading hours")
            bundle = session_bundle(session.path)
        except (ConfigError, BundleError) as error:
            raise SweepError(str(error)) from None
        key = label if label in builtin else str(Path(label).resolve())
        resolved[label] = _Session(key, label, bundle[0].digest, end_ns, None if label in builtin else bundle)
    return resolved


def run_sweep(spec: SweepSpec, on_run: OnRun | None = None, on_start: Any = None) -> SweepOutcome:
    """Run the sweep (raises SweepError on bad options before anything runs)."""
    _check(spec)
    out = spec.out.resolve()
    sessions = _resolve_sessions(spec)
    try:
        bot, bot_name = bot_bundle(spec.bot, skip=(out,))
    except (BundleError, OSError) as error:
        raise SweepError(str(error)) from None
    bot_path = str(spec.bot.resolve())
    names = [p.name for p in spec.params]

    def task_for(setting: dict[str, Value], label: str, seed: int, split: str, trial: int | None = None) -> RunTask:
        session = sessions[label]
        delivery = spec.delivery
        bot_args, env, entry = delivery.bot_args(setting), delivery.env(setting), delivery.entry_call(setting)
        run_id = _digest({"cmi_sim": __version__, "bot": bot.digest, "bot_file": bot_name, "session": session.digest,
                          "seed": seed, "end_ns": session.end_ns, "latency_ms": spec.latency_ms,
                          "bot_args": bot_args, "env": env, "entry": entry})
        return RunTask(run_id=run_id, setting=setting, seed=seed, session=session.key, split=split, bot=bot_path,
                       bot_args=bot_args, entry=entry, env=env, until=spec.until, latency_ms=spec.latency_ms,
                       watchdog_s=spec.watchdog_s, wall_limit_s=spec.wall_limit_s, keep_events=spec.keep_events,
                       trial=trial)

    def search_tasks(setting: dict[str, Value], trial: int | None = None) -> list[RunTask]:
        return [task_for(setting, label, seed, "search", trial) for label in spec.sessions for seed in spec.seeds]

    store = SweepStore(out)
    from cmi_sim.sweep.backends import BackendError, make_backend

    try:
        backend = make_backend(spec.backend, spec.workers, spec.address, (bot, bot_name),
                               {s.key: s.bundle for s in sessions.values() if s.bundle is not None})
    except BackendError as error:
        raise SweepError(str(error)) from None
    runner = Runner(backend, store, {s.key: s.label for s in sessions.values()}, on_run, names)
    if on_start is not None:
        on_start(backend.workers)
    sweep_id = _digest({"bot": bot.digest, "params": [p.__dict__ for p in spec.params], "seeds": spec.seeds,
                        "sessions": [sessions[s].digest for s in spec.sessions], "until": spec.until,
                        "objective": spec.objective, "delivery": spec.delivery.describe(), "cmi_sim": __version__})
    # pandas is loaded before any run finishes: a Ctrl-C in the middle of its first import (when the first
    # result is tabled) would leave it half-loaded for the salvage that keeps the finished runs.
    import pandas  # noqa: F401

    search_ids: list[str] = []
    interrupted = True
    try:
        if spec.search == "optuna":
            from cmi_sim.sweep.tpe import open_study, optimise, study_settings

            try:
                study = open_study(out, f"sweep-{sweep_id}", spec.search_seed)
            except RuntimeError as error:
                raise SweepError(str(error)) from None
            optimise(study, spec.params, spec.trials or 0, runner, backend.workers, search_tasks, spec.objective)
            for number, setting in study_settings(study, spec.params):
                search_ids += [t.run_id for t in search_tasks(setting, number)]
        else:
            settings = (grid(spec.params) if spec.search == "grid"
                        else random_settings(spec.params, spec.trials or 0, spec.search_seed))
            for setting in settings:
                for task in search_tasks(setting):
                    search_ids.append(task.run_id)
                    runner.start(task)
            runner.drain()
        search_ids = [i for i in dict.fromkeys(search_ids) if i in store.rows]  # (a failed trial may lack some)
        frame = results_frame([store.rows[i] for i in search_ids], names)
        frame["split"] = "search"
        ranking = rank(frame, names, spec.objective)
        holdout_ids: list[str] = []
        # to_dict keeps each column's type (a row of a mixed table would turn 5 into 5.0)
        chosen = [{name: _plain(row[name]) for name in names}
                  for row in ranking[ranking["broken"] == 0].head(spec.holdout_top).to_dict(orient="records")]
        best = chosen[0] if chosen else None
        holdout_pairs = _holdout_pairs(spec)
        if holdout_pairs:
            for setting in chosen:
                for label, seed in holdout_pairs:
                    task = task_for(setting, label, seed, "holdout")
                    holdout_ids.append(task.run_id)
                    runner.start(task)
            runner.drain()
        interrupted = False
    finally:
        backend.close(cancel=interrupted)
        if interrupted:
            runner.salvage()
    return _finish(spec, out, store, names, search_ids, holdout_ids, ranking, chosen, best, runner)


def _plain(value: Any) -> Value:
    """numpy scalars from a table back to Python ints, floats and strings."""
    return value.item() if hasattr(value, "item") else value


def _finish(spec: SweepSpec, out: Path, store: SweepStore, names: list[str], search_ids: list[str],
            holdout_ids: list[str], ranking, chosen, best, runner: Runner) -> SweepOutcome:
    from cmi_sim.sweep.plots import write_plots

    all_ids = [i for i in dict.fromkeys(search_ids + holdout_ids) if i in store.rows]
    frame = results_frame([store.rows[i] for i in all_ids], names)
    splits = {**{i: "holdout" for i in holdout_ids}, **{i: "search" for i in search_ids}}
    frame["split"] = frame["run_id"].map(splits)
    scratch = out / "results.parquet.tmp"
    frame.to_parquet(scratch, index=False)
    scratch.replace(out / "results.parquet")
    ranking.to_csv(out / RANKING, index=False)
    holdout = _holdout_table(frame, chosen, names, spec.objective) if holdout_ids else None
    if holdout is not None:
        holdout.to_csv(out / HOLDOUT, index=False)
    search = frame[frame["split"] == "search"]
    plots = write_plots(out, search, ranking, names, spec.objective)
    broken = int((frame["status"] != "ok").sum())
    summary = {
        "cmi_sim": __version__, "bot": str(spec.bot), "search": spec.search, "objective": spec.objective,
        "params": {p.name: list(p.values) for p in spec.params}, "seeds": list(spec.seeds),
        "sessions": list(spec.sessions), "until": spec.until, "backend": spec.backend,
        "runs": len(all_ids), "ran": runner.ran, "reused": runner.reused, "broken": broken, "best": best,
        "holdout": holdout.to_dict(orient="records") if holdout is not None else None,
    }
    (out / SUMMARY).write_text(json.dumps(summary, indent=1, default=_plain))
    return SweepOutcome(frame, ranking, holdout, best, runner.ran, runner.reused, broken, out, plots)


def _holdout_table(frame, chosen, names: list[str], objective: str):
    """Each chosen setting's figures on the searched runs (in sample) and on the held-out runs."""
    import pandas as pd

    rows = []
    for choice in chosen:
        mine = frame
        for name in names:
            mine = mine[mine[name] == choice[name]]
        row = dict(choice)
        for split, prefix in (("search", "in_sample"), ("holdout", "out_of_sample")):
            part = mine[mine["split"] == split]
            good = part[part["status"] == "ok"][objective].astype(float).tolist()
            mean, spread, robust = robust_value(good) if good else (float("nan"),) * 3
            row.update({f"{prefix}_runs": len(part), f"{prefix}_broken": int((part["status"] != "ok").sum()),
                        f"{prefix}_mean": mean, f"{prefix}_spread": spread,
                        f"{prefix}_worst": min(good) if good else float("nan"), f"{prefix}_robust": robust})
        rows.append(row)
    return pd.DataFrame.from_records(rows)

