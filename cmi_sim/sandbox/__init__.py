"""A deterministic virtual-time sandbox for an unmodified Python program (a bot script).

The program runs in a child process under gevent with a virtual-time loop (:mod:`vloop`), virtual
clocks (:mod:`clocks`), seeded entropy (:mod:`entropy`), a network guard (:mod:`guard`) and a
watchdog; its HTTP requests (requests, urllib, aiohttp, httpx) go in-process (:mod:`transport`,
:mod:`clients`) to an *environment*: whatever a factory named in the :class:`RunConfig` builds
(:mod:`environment`). The parent side is :func:`run_in_child`; the child is :mod:`child`.

The sandbox knows nothing of CMI: it imports nothing of ``cmi_sim`` outside this package
(tests/unit/test_import_direction.py). Importing this package does not import gevent.
"""

from cmi_sim.sandbox.config import RunConfig
from cmi_sim.sandbox.environment import ByteStream, ConnectionRefused, Environment, Router, StreamReply
from cmi_sim.sandbox.parent import run_in_child
from cmi_sim.sandbox.reply import Reply
from cmi_sim.sandbox.vloop import PRIORITY_DEFAULT, PRIORITY_WORLD

__all__ = [
    "ByteStream",
    "ConnectionRefused",
    "Environment",
    "PRIORITY_DEFAULT",
    "PRIORITY_WORLD",
    "Reply",
    "Router",
    "RunConfig",
    "StreamReply",
    "run_in_child",
]
