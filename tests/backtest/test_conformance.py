"""VirtualLoop against what gevent 26.9.0 needs (the loop interface is semi-internal: pinned)."""

from __future__ import annotations

import gevent
from zope.interface.verify import verifyObject

from cmi_sim.sandbox.vloop import VirtualLoop


def test_gevent_is_the_pinned_version() -> None:
    assert gevent.__version__ == "26.9.0"


def test_virtual_loop_provides_the_iloop_interface() -> None:
    from gevent._interfaces import ICallback, ILoop, IWatcher

    loop = VirtualLoop()
    # The class does not declare the interface (that needs zope at import); check the shape.
    from zope.interface import classImplements

    classImplements(VirtualLoop, ILoop)
    assert verifyObject(ILoop, loop)
    from cmi_sim.sandbox import vloop

    classImplements(vloop._Timer, IWatcher)
    classImplements(vloop._Callback, ICallback)
    assert verifyObject(IWatcher, loop.timer(1))
    assert verifyObject(ICallback, loop.run_callback(lambda: None))


def test_gevent_api_runs_in_exact_virtual_time(run_bot) -> None:
    result = run_bot("uses_gevent.py", duration_s=60)
    assert result["status"] == "ok", result.stderr
    assert result.lines() == [
        "gevent.sleep 1250000000 None",
        "gevent.sleep(0) 0 None",
        "gevent.idle 0 None",
        "Event.wait 2000000000 False",
        "AsyncResult.get 3000000000 v",
        "Queue.get 500000000 42",
        "Timeout 1500000000 Timeout",
        "Semaphore 750000000 True",
        "joinall 3000000000 3",
        "kill 1000000000 None",
        "wait 2000000000 1",
        "spawn-order [0, 1, 2, 3, 4]",
        "timeout-false ok",
    ]
