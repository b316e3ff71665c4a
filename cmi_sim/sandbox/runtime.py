"""Runs one unmodified bot in virtual time, next to a simulated world. One run per process.

Set-up order (it matters; :meth:`VirtualRuntime.setup`):

1. ``TZ=UTC``; the runner's real clocks are in ``clocks.REAL`` (a container the sweep skips).
2. ``gevent.config.loop = VirtualLoop`` before anything creates the hub; ``monkey.patch_all()``;
   the hub's loop is checked to be a VirtualLoop. Every bot thread is now a greenlet.
3. Virtual clocks (time-machine traveller + module attributes), then deterministic entropy.
4. ``requests`` transport (routes to the world) and the network guard.
5. Sweep of every loaded module's globals for captured originals (clocks, ``time.sleep``,
   ``os.urandom``).
6. The environment factory builds the router and the background greenlets (:class:`EnvironmentContext`).
7. The watchdog (real OS thread) starts; the bot runs as ``__main__`` in the main greenlet.

ORDERING CONTRACT (what makes a run reproducible; tested in tests/backtest/test_ordering.py):

- Virtual time is an integer number of nanoseconds and moves only when no callback is runnable:
  the loop then jumps to the earliest timer. Work never costs virtual time (a bot's CPU time is
  not charged); only sleeps, timeouts and the request latency do.
- Callbacks run FIFO, including those added while draining, and all of them run before the next
  timer fires. A greenlet woken by a timer runs inside that timer's firing until it blocks.
- Timers due at the same instant fire in ``(priority, seq)`` order; ``seq`` is taken when the timer
  is started, so among equal priorities the earlier-started wait wakes first.
- Priorities: world timers (market steps, run as timer callbacks through
  :meth:`EnvironmentContext.call_at`, and the world's own sleeps through
  :meth:`EnvironmentContext.sleep_until`) use ``PRIORITY_WORLD`` (-100); the session end uses
  ``PRIORITY_END`` (-50); everything else (bot sleeps, timeouts, request latency) uses 0. Hence
  **market data at T is published, and the readers it wakes run, before any bot wake-up at T**;
  the session includes the world's events at exactly the end time but no bot wake-up at it.
- At t=0 the background greenlets run first (in the order the factory listed them), each until it
  blocks, then the bot's module code.
- At the end time: ``environment.on_end()``, then ``KeyboardInterrupt`` in the bot's main greenlet (as
  Ctrl-C would), then up to ``grace_s`` virtual seconds for it and its non-daemon threads to
  finish (the interpreter's shutdown rule); then the result is written and the process leaves
  with ``os._exit`` (a normal shutdown would wait on green threads that can no longer run).
- Request latency: ``sleep(latency/2)``, the handler, ``sleep(latency/2)``.
- A sleep that nothing could interrupt (no callback runnable, no live timer due at or before its
  end) moves the clock without switching to the hub (``VirtualLoop.fast_forward``): the same
  events in the same order, without a round trip through the loop.
"""

from __future__ import annotations

import importlib
import json
import os
import runpy
import sys
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from cmi_sim.sandbox.clocks import REAL, VirtualClock, install_clocks, sweep_module_globals
from cmi_sim.sandbox.config import RunConfig
from cmi_sim.sandbox.entropy import install_entropy
from cmi_sim.sandbox.environment import Environment
from cmi_sim.sandbox.vloop import PRIORITY_DEFAULT, PRIORITY_WORLD, VirtualLoop, seconds_to_ns
from cmi_sim.sandbox.utc import format_utc_ns

__all__ = ["VirtualRuntime", "EnvironmentContext", "PRIORITY_END", "EXIT_OK", "EXIT_BOT_ERROR", "EXIT_WATCHDOG"]

PRIORITY_END = -50
_LOOP_FINISH_WAIT_S = 5.0  # real seconds the loop gets to write a partial result itself
EXIT_OK = 0
EXIT_BOT_ERROR = 1
EXIT_RUNTIME_ERROR = 2
EXIT_WATCHDOG = 3
_NS = 1_000_000_000


@dataclass
class EnvironmentContext:
    """What an environment factory gets: the clock, the schedule and a way to run greenlets."""

    runtime: VirtualRuntime
    config: dict[str, Any]  #: ``RunConfig.environment_args``
    seed: int
    start_ns: int  #: virtual epoch ns at the start
    end_ns: int  #: virtual epoch ns at the end

    def now_ns(self) -> int:
        """Virtual epoch time in ns (does not count as a bot clock read)."""
        return self.runtime.clock.now_ns()

    def spawn(self, fn: Callable[..., Any], *args: Any) -> Any:
        return self.runtime.spawn_world(fn, *args)

    def sleep_until(self, t_ns: int, priority: int = PRIORITY_WORLD) -> None:
        """Block this greenlet until virtual epoch time ``t_ns`` (exact, world priority)."""
        self.runtime.sleep_until(t_ns, priority)

    def sleep(self, seconds: float, priority: int = PRIORITY_WORLD) -> None:
        self.runtime.sleep_until(self.now_ns() + round(seconds * _NS), priority)

    def call_at(self, t_ns: int, callback: Callable[[], Any], priority: int = PRIORITY_DEFAULT) -> Any:
        """Call ``callback()`` from the loop at virtual epoch time ``t_ns``; returns the timer
        (``stop()`` cancels it). The callback runs in the loop's greenlet: it must not block. With
        ``PRIORITY_WORLD`` it is ordered as :meth:`sleep_until` would wake a world greenlet."""
        timer = self.runtime.loop.timer_ns(t_ns - self.now_ns(), priority=priority)
        timer.start(callback)
        return timer

    def report_error(self, where: str, exc: BaseException) -> None:
        """Record a failure of the world's own code (it lands in the result's ``world_errors``)."""
        self.runtime.record_world_error(where, exc)

    def event(self) -> Any:
        """A gevent Event (a cooperative waker for stream subscriptions)."""
        import gevent.event

        return gevent.event.Event()


class VirtualRuntime:
    """Set-up, run and result of one backtest in this (child) process."""

    loop_class: type[VirtualLoop] = VirtualLoop  #: a subclass may gate the loop (the arena's lock-step)
    #: modules whose globals keep the real clocks (the runner's own); a subclass adds its own package
    sweep_skip: tuple[str, ...] = ("gevent", "time_machine", "_time_machine", "greenlet", "cmi_sim.sandbox")

    def __init__(self, config: RunConfig) -> None:
        self.config = config
        self.start_ns = config.start_ns
        self.end_ns = self.start_ns + round(config.duration_s * _NS)
        self._wall_start = REAL.perf_counter()
        self._real_start_ns = time.time_ns()  # before set-up makes the wall clock virtual
        self.environment: Environment | None = None
        self.bot_outcome: dict[str, Any] = {"outcome": "not started"}
        self.thread_errors: list[dict[str, Any]] = []
        self.world_errors: list[dict[str, Any]] = []
        self.reached_end = False
        self.network = "guard"  #: "namespace" when the child also runs in a network namespace of its own
        self.watchdog_report: dict[str, Any] | None = None
        self.stop_status: str | None = None  #: "wall_limit" or "storm" when the runtime stopped the run
        self.storm_report: dict[str, Any] | None = None
        self.slow: dict[str, Any] | None = None
        self._finished = False
        self._interrupted_at_end = False

    # -- set-up -------------------------------------------------------------------------------
    def setup(self) -> None:
        os.environ["TZ"] = "UTC"
        time.tzset()
        import gevent

        gevent.config.loop = self._loop_class()
        gevent.config.monitor_thread = False
        from gevent import monkey

        # subprocess stays real: a child process runs (and is waited for) in real time, costing no
        # virtual time; libraries call one at import (ctypes.util.find_library, e.g. trio via httpx).
        monkey.patch_all(subprocess=False)
        # gevent's os.close defers closing a pipe to a "check" watcher, which a VirtualLoop never
        # runs (it has no real I/O to protect): close at once, or pipes stay open forever.
        os.close = monkey.get_original("os", "close")
        self._real_exit = os._exit
        self._real_lock = monkey.get_original("_thread", "allocate_lock")()
        self.hub = gevent.get_hub()
        if not isinstance(self.hub.loop, VirtualLoop):
            raise RuntimeError(f"the gevent hub was created before set-up: {self.hub.loop!r}")
        self.loop: VirtualLoop = self.hub.loop
        self._gevent = gevent

        hub = self.hub
        sleep = _fast_forwarding_sleep(hub, self.loop, gevent.sleep)
        self.clock = VirtualClock(
            self.loop,
            self.start_ns,
            busy_wait_reads=self.config.busy_wait_reads,
            sleep=sleep,
            in_hub=lambda: gevent.getcurrent() is hub,
        )
        swaps = install_clocks(self.clock)
        real_sleep = monkey.get_original("time", "sleep")
        time.sleep = sleep
        swaps[id(real_sleep)] = (real_sleep, sleep)
        swaps.update(install_entropy(self.config.seed))

        from cmi_sim.sandbox.aio import install_asyncio

        install_asyncio()
        import requests  # loaded before the sweep so its captured clocks are swept

        from cmi_sim.sandbox.guard import NetworkGuard
        from cmi_sim.sandbox.transport import InProcessTransport

        self.transport = InProcessTransport(
            self._no_router,
            sleep=sleep,
            now_ns=self.clock.now_ns,
            latency_ns=round(self.config.latency_ms * 1_000_000),
            same_instant_budget=self.config.same_instant_budget,
        )
        self.transport.install()
        self.fast_path = self.config.fast_path and _fast_path_fits(requests.__version__)
        if self.fast_path:
            from cmi_sim.sandbox import fastpath

            fastpath.install(self.transport)
        from cmi_sim.sandbox.clients import install_clients

        install_clients(self.transport)
        self.guard = NetworkGuard(self.clock.now_ns, self.loop.quiet_fds)
        self.guard.install()
        self.swept = sweep_module_globals(swaps, skip_prefixes=self.sweep_skip)
        _threading_excepthook(self)
        from cmi_sim.sandbox.stderr_watch import TracebackWatch

        self.stderr_watch = sys.stderr = TracebackWatch(sys.stderr)
        os._exit = self._bot_os_exit  # type: ignore[assignment]

    def _loop_class(self) -> type[VirtualLoop]:
        """The VirtualLoop, or the subclass the config names (configured before the hub exists)."""
        if not self.config.loop:
            return self.loop_class
        module_name, _, class_name = self.config.loop.partition(":")
        loop_class = getattr(importlib.import_module(module_name), class_name)
        if not issubclass(loop_class, VirtualLoop):
            raise TypeError(f"{self.config.loop} is not a VirtualLoop")
        loop_class.configure(**self.config.loop_args)
        return loop_class

    @staticmethod
    def _no_router(method: str, url: str, headers: Any, body: Any) -> Any:
        from cmi_sim.sandbox.environment import ConnectionRefused

        raise ConnectionRefused(url)

    def build_environment(self) -> Environment:
        for path in self.config.sys_path:
            if path not in sys.path:
                sys.path.append(path)
        module_name, _, func_name = self.config.environment.partition(":")
        factory = getattr(importlib.import_module(module_name), func_name)
        context = EnvironmentContext(self, dict(self.config.environment_args), self.config.seed, self.start_ns, self.end_ns)
        environment = factory(context)
        if isinstance(environment, tuple):
            environment = Environment(environment[0], list(environment[1]))
        self.environment = environment
        from cmi_sim.sandbox.storm import StormMonitor

        self.storm = StormMonitor(environment.router, self, Path(self.config.bot).resolve().parent)
        self.transport.router = self.storm.route
        return environment

    # -- scheduling helpers ----------------------------------------------------------------------
    def sleep_until(self, t_ns: int, priority: int) -> None:
        if self.loop.fast_forward(t_ns):  # nothing could run before t_ns (see the ordering contract)
            return
        timer = self.loop.timer_ns(t_ns - self.clock.now_ns(), priority=priority)
        try:
            self.hub.wait(timer)
        finally:
            timer.close()

    def spawn_world(self, fn: Callable[..., Any], *args: Any) -> Any:
        greenlet = self._gevent.spawn(fn, *args)
        greenlet.link_exception(self._world_failed)
        return greenlet

    def _world_failed(self, greenlet: Any) -> None:
        self.record_world_error(repr(greenlet), greenlet.exception)

    def record_world_error(self, where: str, exc: BaseException | None) -> None:
        self.world_errors.append(
            {
                "greenlet": where,
                "exception": repr(exc),
                "traceback": "".join(traceback.format_exception(exc)) if exc is not None else "",
                "t_ns": self.clock.now_ns(),
            }
        )

    # -- running ----------------------------------------------------------------------------------
    def run(self) -> None:
        """Run the session; never returns (the process ends with ``os._exit``)."""
        gevent = self._gevent
        from gevent.event import Event

        from cmi_sim.sandbox.watchdog import Watchdog

        environment = self.environment if self.environment is not None else self.build_environment()
        for fn in environment.background:
            self.spawn_world(fn)

        self._main = gevent.getcurrent()
        self._done = Event()
        end_reached = Event()
        end_timer = self.loop.timer_ns(self.end_ns - self.clock.now_ns(), priority=PRIORITY_END)
        end_timer.start(end_reached.set)
        supervisor = gevent.spawn(self._supervise, end_reached)

        self.watchdog = Watchdog(
            self.loop,
            self.config.watchdog_s,
            self._on_watchdog,
            main_thread_ident=_main_ident(),
            wall_limit_s=self.config.wall_limit_s,
            on_wall_limit=self._on_wall_limit,
            on_slow=self._on_slow,
            slow_window_s=self.config.slow_window_s,
        )
        self.watchdog.start()
        gevent.sleep(0)  # let the world's greenlets run first at t=0 (ordering contract)
        self._run_bot()
        self._wait_non_daemon_threads()
        self._done.set()
        supervisor.join()  # the supervisor ends the process
        self.finish(EXIT_RUNTIME_ERROR, note="supervisor returned")

    def _run_bot(self) -> None:
        cfg = self.config
        bot = str(Path(cfg.bot).resolve())
        if cfg.cwd:
            os.chdir(cfg.cwd)
        sys.path.insert(0, str(Path(bot).parent))  # what `python bot.py` does and runpy does not
        sys.argv = [bot, *cfg.argv]
        from cmi_sim.sandbox.file_reads import FileReads

        self.file_reads = FileReads(list(cfg.watch_reads), self.clock.now_ns, self._real_start_ns)
        if cfg.watch_reads:
            self.file_reads.install()
        self.bot_outcome = {"outcome": "running"}
        try:
            runpy.run_path(bot, run_name="__main__")
            self.bot_outcome = {"outcome": "returned", "exit_code": 0}
        except SystemExit as exc:
            code = exc.code
            exit_code = 0 if code is None else code if isinstance(code, int) else 1
            if not isinstance(code, (int, type(None))):
                print(code, file=sys.stderr)
            self.bot_outcome = {"outcome": "exit", "exit_code": exit_code}
        except KeyboardInterrupt:
            if self._interrupted_at_end:  # the session's close, not a failure: nothing to print
                self.bot_outcome = {"outcome": "running at close", "exit_code": 0}
            else:
                traceback.print_exc()
                self.bot_outcome = {"outcome": "interrupted", "exit_code": 130}
        except BaseException as exc:  # noqa: BLE001 - the bot's crash is the report
            text = _bot_traceback(exc)
            sys.stderr.write(text)
            self.bot_outcome = {
                "outcome": "raised",
                "exit_code": 1,
                "exception": f"{type(exc).__name__}: {exc}",
                "traceback": text,
            }
        self.bot_outcome["t_ns"] = self.clock.now_ns()

    def _wait_non_daemon_threads(self) -> None:
        """The interpreter's shutdown rule: the process lives while a non-daemon thread does."""
        import threading

        try:
            while True:
                alive = [
                    t
                    for t in threading.enumerate()
                    if not t.daemon and t.is_alive() and t is not threading.main_thread()
                    and not isinstance(t, threading._DummyThread)
                ]
                if not alive:
                    return
                alive[0].join()
        except KeyboardInterrupt:
            return

    def _supervise(self, end_reached: Any) -> None:
        gevent = self._gevent
        if self.config.run_to_end:
            end_reached.wait()  # a bot that stopped early still sees its session end (and settle)
        else:
            gevent.wait([self._done, end_reached], count=1)
        if end_reached.is_set():
            self.reached_end = True
            if self.environment is not None and self.environment.on_end is not None:
                try:
                    self.environment.on_end()
                except Exception:  # noqa: BLE001
                    self.world_errors.append({"greenlet": "on_end", "traceback": traceback.format_exc()})
        if not self._done.is_set():
            # Ctrl-C: in the bot's code if it still runs, else in the wait for its non-daemon threads.
            self._interrupted_at_end = True
            gevent.kill(self._main, KeyboardInterrupt)
            self._done.wait(timeout=self.config.grace_s)
        code = EXIT_BOT_ERROR if self.bot_outcome.get("outcome") == "raised" else EXIT_OK
        note = "" if self._done.is_set() else f"the bot did not stop within {self.config.grace_s} virtual s"
        self.finish(code, note=note)

    def _on_wall_limit(self) -> None:
        """(Watchdog thread.) Finish from the loop, between two steps of the simulation, so the partial
        result reads a consistent exchange; from this thread only if the loop does not get to it."""
        self.stop_status = "wall_limit"

        def stop() -> None:
            sys.stderr.write(f"\n[cmi-sim] wall limit of {self.config.wall_limit_s} real s reached at "
                             f"{format_utc_ns(self.clock.now_ns())}: partial result written\n")
            self.finish(EXIT_WATCHDOG, note="the wall limit was reached: a partial result")

        self.loop.run_callback_threadsafe(stop)
        deadline = REAL.monotonic() + _LOOP_FINISH_WAIT_S
        while not self._finished and REAL.monotonic() < deadline:
            REAL.sleep(0.05)
        stop()

    def _on_slow(self, virtual_s: float, real_s: float) -> None:
        self.slow = {"virtual_s": round(virtual_s, 3), "real_s": round(real_s, 3),
                     "at": format_utc_ns(self.clock.now_ns()), "n_requests": self.transport.n_requests}
        sys.stderr.write(
            f"[cmi-sim] warning: slower than real time: {virtual_s:.1f} virtual s in the last {real_s:.0f} real s "
            f"(at {self.slow['at']}, {self.transport.n_requests} requests so far); each request costs "
            f"{self.config.latency_ms} ms of virtual time, so a bot whose requests trigger more requests can "
            "crawl\n"
        )
        sys.stderr.flush()

    def on_storm(self, report: dict[str, Any]) -> None:
        self.storm_report = report
        self.stop_status = "storm"
        sys.stderr.write(f"\n[cmi-sim] {report['message']}\n{report['stack']}\n")
        self.finish(EXIT_WATCHDOG, note=report["message"])

    def _on_watchdog(self, report: dict[str, Any]) -> None:
        self.watchdog_report = report
        sys.stderr.write(f"\nwatchdog: {report['message']}\n{report['stuck_stack']}\n")
        self.finish(EXIT_WATCHDOG, note="watchdog")

    def _bot_os_exit(self, code: int = 0) -> None:
        self.bot_outcome = {"outcome": "os._exit", "exit_code": code, "t_ns": self.clock.now_ns()}
        self.finish(EXIT_OK if code == 0 else EXIT_BOT_ERROR, note="the bot called os._exit")

    # -- result ----------------------------------------------------------------------------------
    def result(self, note: str = "") -> dict[str, Any]:
        now_ns = self.clock.now_ns()
        world_result = None
        if self.environment is not None and self.environment.result is not None:
            try:
                world_result = self.environment.result()
            except Exception:  # noqa: BLE001
                world_result = {"error": traceback.format_exc()}
        return {
            "status": _status(self),
            "note": note,
            "bot": self.bot_outcome,
            "thread_errors": self.thread_errors,
            "stderr_tracebacks": self.stderr_watch.report() if hasattr(self, "stderr_watch") else None,
            "world_errors": self.world_errors,
            "refused": self.transport.refused,
            "blocked": self.guard.blocked,
            "network": self.network,
            "watchdog": self.watchdog_report,
            "storm": self.storm_report,
            "slow": self.slow,
            "partial": self.stop_status is not None or self.watchdog_report is not None,
            "files_after_virtual_moment": getattr(getattr(self, "file_reads", None), "after_virtual_moment", []),
            "reached_end": self.reached_end,
            "virtual_start": format_utc_ns(self.start_ns),
            "virtual_end": format_utc_ns(now_ns),
            "virtual_end_ns": now_ns,
            "virtual_elapsed_s": (now_ns - self.start_ns) / _NS,
            "loop": {
                "n_callbacks": self.loop.n_callbacks,
                "n_timer_fires": self.loop.n_timer_fires,
                "n_iterations": self.loop.n_iterations,
                "busy_wait_sleeps": self.clock.n_forced_sleeps,
            },
            "transport": {
                "n_requests": self.transport.n_requests,
                "n_streams": self.transport.n_streams,
                "budget_sleeps": self.transport.n_budget_sleeps,
                "fast_path": self.fast_path,
                "requests_version": sys.modules["requests"].__version__,
                "n_fast": _fast_count(),
            },
            "wall_s": round(REAL.perf_counter() - self._wall_start, 3),
            "world": world_result,
        }

    def finish(self, exit_code: int, note: str = "") -> None:
        """Write the result JSON, flush, and leave the process at once (from any thread)."""
        with self._real_lock:
            if self._finished:
                return
            self._finished = True
            try:
                self.watchdog.stop()
            except AttributeError:
                pass
            try:
                result = self.result(note)
                result["exit_code"] = exit_code
                Path(self.config.result_path).write_text(json.dumps(result, indent=1, default=repr))
            except BaseException:  # noqa: BLE001 - the process must end whatever happens
                traceback.print_exc()
                exit_code = EXIT_RUNTIME_ERROR
            for stream in (sys.stdout, sys.stderr):
                try:
                    stream.flush()
                except Exception:  # noqa: BLE001
                    pass
            self._real_exit(exit_code)


def _fast_forwarding_sleep(hub: Any, loop: VirtualLoop, gevent_sleep: Callable[..., None]) -> Callable[..., None]:
    """``gevent.sleep``, except that a sleep nothing could interrupt just moves the clock (see the
    ordering contract). Most request latencies are such sleeps."""
    from greenlet import getcurrent

    def sleep(seconds: float = 0, ref: bool = True) -> None:
        if seconds > 0 and ref and getcurrent() is not hub and loop.fast_forward(loop.now_ns + seconds_to_ns(seconds)):
            return
        gevent_sleep(seconds, ref)

    return sleep


def _bot_traceback(exc: BaseException) -> str:
    """The traceback as ``python bot.py`` prints it: without the runner's and runpy's frames."""
    tb = exc.__traceback__
    while tb is not None and (tb.tb_frame.f_code.co_filename in (__file__, "<frozen runpy>")):
        tb = tb.tb_next
    return "".join(traceback.format_exception(type(exc), exc, tb))


def _fast_path_fits(version: str) -> bool:
    """The fast path mirrors requests' internals: only for the versions it was tested with."""
    try:
        from cmi_sim.sandbox import fastpath
    except Exception:  # noqa: BLE001 - another requests whose internals differ: the full stack
        return False
    return fastpath.supports(version)


def _fast_count() -> int:
    fastpath = sys.modules.get("cmi_sim.sandbox.fastpath")
    return 0 if fastpath is None else fastpath.STATE.n_fast


def _status(runtime: VirtualRuntime) -> str:
    if runtime.stop_status is not None:
        return runtime.stop_status
    if runtime.watchdog_report is not None:
        return "watchdog"
    outcome = runtime.bot_outcome.get("outcome")
    if outcome == "raised":
        return "bot_error"
    return "ok"


def _main_ident() -> int:
    from gevent import monkey

    return monkey.get_original("_thread", "get_ident")()


def _threading_excepthook(runtime: VirtualRuntime) -> None:
    import threading

    default = threading.excepthook

    def hook(args: Any) -> None:
        if args.exc_type is not SystemExit:
            runtime.thread_errors.append(
                {
                    "thread": getattr(args.thread, "name", repr(args.thread)),
                    "exception": f"{args.exc_type.__name__}: {args.exc_value}",
                    "traceback": "".join(
                        traceback.format_exception(args.exc_type, args.exc_value, args.exc_traceback)
                    ),
                    "t_ns": runtime.clock.now_ns(),
                }
            )
        default(args)

    threading.excepthook = hook
