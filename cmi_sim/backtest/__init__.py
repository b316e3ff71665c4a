"""Deterministic backtests of unmodified bots in virtual time (gevent + a virtual-time loop).

Parent side: build a :class:`RunConfig` and call :func:`run_in_child`. The world (exchange,
replay services) plugs in through a factory named in the config that returns a :class:`World`
(a :data:`Router` and background greenlets). Importing this package does not import gevent.
"""

from cmi_sim.backtest.config import RunConfig
from cmi_sim.backtest.parent import run_in_child
from cmi_sim.backtest.router import ByteStream, ConnectionRefused, Reply, Router, StreamReply, World
from cmi_sim.backtest.vloop import PRIORITY_DEFAULT, PRIORITY_WORLD

__all__ = [
    "ByteStream",
    "ConnectionRefused",
    "PRIORITY_DEFAULT",
    "PRIORITY_WORLD",
    "Reply",
    "Router",
    "RunConfig",
    "StreamReply",
    "World",
    "run_in_child",
]
