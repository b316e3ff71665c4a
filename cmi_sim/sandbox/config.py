"""The configuration of one backtest run in a child process: a frozen value, JSON on disk."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cmi_sim.sandbox.utc import parse_iso_ns

__all__ = ["RunConfig"]


@dataclass(frozen=True)
class RunConfig:
    """Everything the child needs. ``environment`` names a factory ``"module:function"`` (see runtime)."""

    bot: str  #: path of the bot script, run as ``__main__``
    environment: str  #: ``"package.module:function"``; called with an EnvironmentContext, returns an Environment
    result_path: str  #: where the child writes the result JSON
    start: str = "2026-02-28T12:00:00Z"  #: virtual wall-clock time at the start (UTC ISO-8601)
    duration_s: float = 3600.0  #: virtual length of the session
    argv: tuple[str, ...] = ()  #: sys.argv[1:] for the bot
    seed: int = 0
    latency_ms: float = 1.0  #: virtual latency of each HTTP request (half before, half after); the
    #: sandbox's own default, small for its tests: user-facing runs pass a realistic one
    grace_s: float = 10.0  #: virtual time the bot gets to stop after KeyboardInterrupt
    watchdog_s: float = 30.0  #: real seconds without loop progress before the run is abandoned
    busy_wait_reads: int = 10_000  #: clock reads without progress before a forced 1 ms sleep
    same_instant_budget: int = 1_000  #: requests at one virtual instant before a forced 1 ms sleep
    fast_path: bool = True  #: answer simple ``requests`` calls without the Session machinery (same results)
    environment_args: dict[str, Any] = field(default_factory=dict)  #: passed to the factory via the context
    sys_path: tuple[str, ...] = ()  #: extra import paths for the environment factory (appended)
    cwd: str | None = None  #: working directory of the bot (default: the child's)
    run_to_end: bool = False  #: keep the environment running to the end time even if the bot stops early
    wall_limit_s: float | None = None  #: real seconds; then the child writes a partial result and stops
    slow_window_s: float = 10.0  #: real seconds over which "slower than real time" is judged
    storm_window_s: float = 10.0  #: virtual seconds over which request storms are counted
    storm_stream_opens: int = 200  #: stream opens in one window that make a storm
    storm_failures: int = 400  #: failed requests (refused, or 4xx/5xx) in one window, with few successes
    watch_reads: tuple[str, ...] = ()  #: folders whose files read with an mtime after the virtual now are listed
    #: ``"module:Class"``: a VirtualLoop subclass to run instead (``cmi-sim run`` paces it by a live
    #: server's clock); ``Class.configure(**loop_args)`` is called before the hub is created
    loop: str | None = None
    loop_args: dict[str, Any] = field(default_factory=dict)
    #: a network namespace of its own for the child (see sandbox/netns.py): on for backtests, whose every
    #: request is answered in-process; off for `cmi-sim run`, whose bot reaches a real exchange
    isolate_network: bool = False

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunConfig:
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown config keys: {sorted(unknown)}")
        data = dict(data)
        for key in ("argv", "sys_path", "watch_reads"):
            if key in data:
                data[key] = tuple(data[key])
        return cls(**data)

    @classmethod
    def load(cls, path: str | Path) -> RunConfig:
        return cls.from_dict(json.loads(Path(path).read_text()))

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def dump(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.to_dict(), indent=1, sort_keys=True))

    @property
    def start_ns(self) -> int:
        return parse_iso_ns(self.start)
