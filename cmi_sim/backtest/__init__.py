"""Deterministic backtests of unmodified bots in virtual time (gevent + a virtual-time loop).

The package is also the Python API: calling it runs a backtest and returns a typed `RunResult`:

    from cmi_sim import backtest
    result = backtest("bots/quoter.py", until="2h")      # any setting of `build_spec`
    result.status, result.total_pnl, result.fills, result.equity, result.positions

Layers: `build_spec` (validated, hashed `RunSpec`) -> `run` (run directory, child process) ->
`RunResult`. Child side: a :class:`RunConfig` (the spec's wire form) and :func:`run_in_child`; the
world plugs in through a factory named in the config that returns a :class:`World`. Importing this
package does not import gevent.
"""

import sys
import types
from typing import Any

from cmi_sim.backtest.config import RunConfig
from cmi_sim.backtest.parent import run_in_child
from cmi_sim.backtest.router import ByteStream, ConnectionRefused, Reply, Router, StreamReply, World
from cmi_sim.backtest.vloop import PRIORITY_DEFAULT, PRIORITY_WORLD

__all__ = [
    "ByteStream",
    "ConfigError",
    "ConnectionRefused",
    "Participant",
    "PRIORITY_DEFAULT",
    "PRIORITY_WORLD",
    "Reply",
    "Router",
    "RunConfig",
    "RunResult",
    "RunSpec",
    "StreamReply",
    "World",
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
