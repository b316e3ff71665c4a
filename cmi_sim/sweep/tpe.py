"""Optuna's TPE over the sweep's space, its study stored in the sweep directory (optuna.db) so it resumes.

Each trial is one setting run on every search seed and session; its value is the setting's robust
figure (ranking.robust_value: mean - spread of the objective), and a trial with a broken run fails. New
trials are asked only while a worker is free, so each proposal learns from every finished trial. A
trial left running by an interrupted sweep is finished first (its finished runs come from the journal).
With more than one worker, the order in which trials finish (and so later proposals) can vary.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from cmi_sim.sweep.ranking import robust_value
from cmi_sim.sweep.runner import Runner
from cmi_sim.sweep.space import Param, Value, tidy

STORAGE = "optuna.db"


def _import_optuna():
    try:
        import optuna
    except ImportError:
        raise RuntimeError("--search optuna needs Optuna: pip install 'cmi-sim[optuna]'") from None
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return optuna


def distributions(params: tuple[Param, ...]) -> dict[str, Any]:
    optuna = _import_optuna()
    dists: dict[str, Any] = {}
    for param in params:
        if param.kind == "list" or len(param.values) == 1:
            dists[param.name] = optuna.distributions.CategoricalDistribution(param.values)
        elif param.kind == "linear":
            low, high = param.values[0], param.values[-1]
            step = param.values[1] - param.values[0]
            dists[param.name] = (optuna.distributions.IntDistribution(low, high, step=step) if param.integer
                                 else optuna.distributions.FloatDistribution(low, high, step=step))
        else:
            dists[param.name] = (optuna.distributions.IntDistribution(int(param.low), int(param.high), log=True)
                                 if param.integer else
                                 optuna.distributions.FloatDistribution(param.low, param.high, log=True))
    return dists


def _setting(params: tuple[Param, ...], raw: dict[str, Any]) -> dict[str, Value]:
    return {p.name: (tidy(raw[p.name]) if isinstance(raw[p.name], float) else raw[p.name]) for p in params}


def open_study(directory: Path, name: str, seed: int):
    optuna = _import_optuna()
    return optuna.create_study(study_name=name, storage=f"sqlite:///{directory / STORAGE}", direction="maximize",
                               sampler=optuna.samplers.TPESampler(seed=seed), load_if_exists=True)


def optimise(study, params: tuple[Param, ...], trials: int, runner: Runner, workers: int,
             tasks_for: Callable[[dict[str, Value], int], list], objective: str) -> None:
    """Run trials until the study holds `trials` finished ones (those of earlier sweeps count)."""
    optuna = _import_optuna()
    states = optuna.trial.TrialState
    dists = distributions(params)
    active: dict[int, list[str]] = {}  # trial number -> its run ids

    def start(number: int, raw: dict[str, Any]) -> None:
        tasks = tasks_for(_setting(params, raw), number)
        active[number] = [task.run_id for task in tasks]
        for task in tasks:
            runner.start(task)

    def finish_ready() -> None:
        for number, run_ids in list(active.items()):
            if all(runner.is_done(run_id) for run_id in run_ids):
                rows = [runner.store.rows[run_id] for run_id in run_ids]
                del active[number]
                if all(row["status"] == "ok" for row in rows):
                    study.tell(number, robust_value([float(row[objective]) for row in rows])[2])
                else:
                    study.tell(number, state=states.FAIL)

    existing = study.get_trials(deepcopy=False)
    for trial in existing:
        if trial.state == states.RUNNING:
            start(trial.number, trial.params)
    counted = sum(t.state in (states.COMPLETE, states.RUNNING) for t in existing)
    remaining = max(0, trials - counted)
    finish_ready()
    while True:
        while remaining and runner.in_flight < workers:
            trial = study.ask(dists)
            remaining -= 1
            start(trial.number, trial.params)
            finish_ready()
        if not runner.in_flight:
            finish_ready()
            if not remaining:
                break
            continue
        runner.wait_some()
        finish_ready()


def study_settings(study, params: tuple[Param, ...]) -> list[tuple[int, dict[str, Value]]]:
    """Every trial's (number, setting), finished or not: the settings this sweep has tried."""
    return [(t.number, _setting(params, t.params)) for t in study.get_trials(deepcopy=False)
            if set(t.params) == {p.name for p in params}]
