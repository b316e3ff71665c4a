"""Where runs execute: a local process pool (one worker per core by default) or Ray.

Both take a `RunTask` and give a `concurrent.futures.Future` of its row, so the sweep drives them the
same way. Ray gets the bot's folder and any session directory as content (`Bundle`s put once in its
object store), never as paths: its workers may be other machines.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any

from cmi_sim.sweep.bundle import Bundle
from cmi_sim.sweep.task import RunTask, execute

BACKENDS = ("local", "ray")


class BackendError(RuntimeError):
    """The backend cannot start (Ray not installed, cluster unreachable)."""


class LocalBackend:
    def __init__(self, workers: int) -> None:
        self.workers = workers
        # spawn: a fresh interpreter per worker, whatever threads the driver (Optuna, Ray) started
        self._pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"))

    def submit(self, task: RunTask) -> Future:
        return self._pool.submit(execute, task)

    def close(self, cancel: bool = False) -> None:
        self._pool.shutdown(wait=True, cancel_futures=cancel)


def _run_shipped(task: RunTask, bot: Bundle, bot_path: str, session: Bundle | None, session_path: str) -> dict:
    """On a Ray worker: write the shipped files (once per machine) and run the task against them."""
    bot_file = bot.materialize() / bot_path
    session_dir = str(session.materialize() / session_path) if session is not None else task.session
    return execute(task.relocated(str(bot_file), session_dir))


class RayBackend:
    def __init__(self, workers: int | None, address: str | None, bot: tuple[Bundle, str],
                 sessions: dict[str, tuple[Bundle, str]]) -> None:
        try:
            import ray
        except ImportError:
            raise BackendError("--backend ray needs Ray: pip install 'cmi-sim[ray]'") from None
        self._ray = ray
        self._started = False
        if not ray.is_initialized():
            try:
                if address:
                    ray.init(address=address, log_to_driver=False)
                else:  # a local Ray for this sweep, stopped at the end
                    ray.init(num_cpus=workers or os.cpu_count() or 1, include_dashboard=False, log_to_driver=False,
                             logging_level=logging.WARNING)
                    self._started = True
            except (ConnectionError, RuntimeError, ValueError) as error:
                raise BackendError(f"cannot start or reach Ray{' at ' + address if address else ''}: {error}") from None
        cpus = int(ray.cluster_resources().get("CPU", 1))
        self.workers = min(workers, cpus) if workers else cpus
        self._remote = ray.remote(num_cpus=1, max_retries=0)(_run_shipped)
        self._bot = (ray.put(bot[0]), bot[1])
        self._sessions = {key: (ray.put(bundle), path) for key, (bundle, path) in sessions.items()}
        self._refs: list[Any] = []

    def submit(self, task: RunTask) -> Future:
        bundle, path = self._sessions.get(task.session, (None, ""))
        ref = self._remote.remote(task, self._bot[0], self._bot[1], bundle, path)
        self._refs.append(ref)
        return ref.future()

    def close(self, cancel: bool = False) -> None:
        if cancel:
            for ref in self._refs:
                try:
                    self._ray.cancel(ref, force=True)
                except Exception:  # noqa: BLE001 - finished already
                    pass
        if self._started:
            self._ray.shutdown()


def make_backend(name: str, workers: int | None, address: str | None, bot_bundle: tuple[Bundle, str] | None,
                 sessions: dict[str, tuple[Bundle, str]]):
    if name == "local":
        return LocalBackend(workers or os.cpu_count() or 1)
    if name == "ray":
        assert bot_bundle is not None
        return RayBackend(workers, address, bot_bundle, sessions)
    raise BackendError(f"--backend must be one of {', '.join(BACKENDS)}, got {name!r}")
