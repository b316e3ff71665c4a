"""Runs in flight: submit tasks to a backend, skip those already done, record each as it finishes."""

from __future__ import annotations

import time
from concurrent.futures import FIRST_COMPLETED, Future, wait
from typing import Any, Callable

from cmi_sim.sweep.store import SweepStore
from cmi_sim.sweep.task import RunTask

TABLE_EVERY_S = 5.0  # results.parquet is rewritten at most this often while runs finish (and at the end)
OnRun = Callable[[dict[str, Any], bool], None]  # (row, reused)


class Runner:
    def __init__(self, backend: Any, store: SweepStore, labels: dict[str, str], on_run: OnRun | None = None,
                 param_names: list[str] | None = None) -> None:
        self.backend = backend
        self.store = store
        self.labels = labels  # session key -> the name the user gave
        self.on_run = on_run
        self._pending: dict[Future, RunTask] = {}
        self._in_flight: set[str] = set()
        self.ran = 0
        self.reused = 0
        self._seen: dict[str, None] = {}  # run ids planned so far, in order
        self.param_names = param_names or []
        self._table_written = float("-inf")

    @property
    def in_flight(self) -> int:
        return len(self._pending)

    def start(self, task: RunTask) -> None:
        """Submit the task unless its run is finished already (then it is only counted) or in flight."""
        first = task.run_id not in self._seen
        self._seen[task.run_id] = None
        if self.store.done(task.run_id):
            if first:
                self.reused += 1
                if self.on_run is not None:
                    self.on_run(self.store.rows[task.run_id], True)
            return
        if task.run_id in self._in_flight:
            return
        self._in_flight.add(task.run_id)
        self._pending[self.backend.submit(task)] = task

    def is_done(self, run_id: str) -> bool:
        return run_id not in self._in_flight and run_id in self.store.rows

    def wait_some(self) -> None:
        """Block until at least one run in flight finishes; record each finished one."""
        finished, _ = wait(list(self._pending), return_when=FIRST_COMPLETED)
        self._record(finished)

    def salvage(self) -> None:
        """After an interruption: keep the runs that finished meanwhile (not those cut short)."""
        self._record([f for f in self._pending if f.done() and not f.cancelled() and f.exception() is None
                      and f.result().get("status") == "ok"])

    def _record(self, finished) -> None:
        for future in finished:
            task = self._pending.pop(future)
            self._in_flight.discard(task.run_id)
            try:
                row = future.result()
            except Exception as error:  # noqa: BLE001 - a dead worker process or a Ray failure
                row = {"run_id": task.run_id, "status": "worker_error",
                       "error": f"{type(error).__name__}: {error}".strip(), "files": {}}
            row.update(setting=task.setting, seed=task.seed, session=self.labels.get(task.session, task.session),
                       split=task.split, trial=task.trial)
            row = self.store.record(row)
            now = time.monotonic()
            if now - self._table_written >= TABLE_EVERY_S:  # the journal has it already; the table follows
                self.store.write_results(list(self._seen), self.param_names)
                self._table_written = now
            self.ran += 1
            if self.on_run is not None:
                self.on_run(row, False)

    def drain(self) -> None:
        while self._pending:
            self.wait_some()
