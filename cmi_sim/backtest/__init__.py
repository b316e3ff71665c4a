"""Deterministic backtests of unmodified bots in virtual time (gevent + a virtual-time loop).

The package is also the Python API: calling it runs a backtest and returns a typed `RunResult`:

    from cmi_sim import backtest
    result = backtest("bots/quoter.py", until="2h")      # any setting of `build_spec`
    result.status, result.total_pnl, result.fills, result.equity, result.positions

Layers: `build_spec` (validated, hashed `RunSpec`) -> `run` (run directory, child process) ->
`RunResult`. This package is the runs-and-reports layer; beneath it, `cmi_sim.backtest.adapter` plugs
the CMI exchange into `cmi_sim.sandbox`, the generic virtual-time sandbox (a :class:`RunConfig`, the
spec's wire form, names the factory that returns an :class:`Environment`; :func:`run_in_child` runs
it). The sandbox's names are re-exported here. Importing this package does not import gevent.
"""

import sys
import types
from typing import Any

from cmi_sim.sandbox import (
    PRIORITY_DEFAULT,
    PRIORITY_WORLD,
    ByteStream,
    ConnectionRefused,
    Environment,
    Reply,
    Router,
    RunConfig,
    StreamReply,
    run_in_child,
)

__all__ = [
    "ByteStream",
    "ConfigError",
    "ConnectionRefused",
    "Environment",
    "Participant",
    "PRIORITY_DEFAULT",
    "PRIORITY_WORLD",
    "Reply",
    "Router",
    "RunConfig",
    "RunResult",
    "RunSpec",
    "StreamReply",
    "build_spec",
    "run",
    "run_in_child",
]

_LAZY = {  # the run model, imported on first use (it loads sessions and the exchange)
    "ConfigError": "cmi_sim.backtest.plan", "build_spec": "cmi_sim.backtest.plan",
    "Participant": "cmi_sim.backtest.spec", "RunSpec": "cmi_sim.backtest.spec",
    "RunResult": "cmi_sim.backtest.result", "run": "cmi_sim.backtest.launch",
}


class _BacktestModule(types.ModuleType):
    """`from cmi_sim import backtest; backtest("bot.py")`: the package, callable."""

    def __call__(self, bot: Any, **settings: Any) -> Any:
        from cmi_sim.backtest.launch import backtest as run_backtest

        return run_backtest(bot, **settings)

    def __getattr__(self, name: str) -> Any:
        if name in _LAZY:
            import importlib

            return getattr(importlib.import_module(_LAZY[name]), name)
        raise AttributeError(f"module {self.__name__!r} has no attribute {name!r}")


sys.modules[__name__].__class__ = _BacktestModule
