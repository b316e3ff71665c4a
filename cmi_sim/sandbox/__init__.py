"""A virtual-time sandbox for unmodified Python programs (it knows nothing of CMI).

One program per child process: every thread a gevent greenlet on :class:`~cmi_sim.sandbox.vloop.VirtualLoop`
(an integer-nanosecond clock that jumps to the next timer), every clock it can read virtual
(`clocks`), seeded entropy (`entropy`), `requests` answered in-process by an environment's router
(`transport`, `sse_raw`, `fastpath`), everything else on the network refused (`guard`), a real-time
`watchdog`; `runtime` sets this up in order and runs the program (`child`), `parent` starts the child.

What the program talks to plugs in as an :class:`Environment` (a router, background greenlets, end
hooks) built by a factory named in the :class:`RunConfig`. `cmi_sim.backtest` is the CMI adapter (the
exchange as an environment) and the runs and reports; `cmi_sim.arena` runs several sandboxes in
lock-step. Importing this package does not import gevent.
"""

from cmi_sim.sandbox.config import RunConfig
from cmi_sim.sandbox.parent import run_in_child
from cmi_sim.sandbox.router import ByteStream, ConnectionRefused, Environment, Reply, Router, StreamReply
from cmi_sim.sandbox.vloop import PRIORITY_DEFAULT, PRIORITY_WORLD

__all__ = ["ByteStream", "ConnectionRefused", "Environment", "PRIORITY_DEFAULT", "PRIORITY_WORLD", "Reply", "Router",
           "RunConfig", "StreamReply", "run_in_child"]
