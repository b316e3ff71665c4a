"""gevent's own API under the virtual loop (conformance): each prints name and virtual ns taken."""
import time

import gevent
import gevent.event
import gevent.lock
import gevent.queue
from gevent import Timeout

from cmi_sim.sandbox.vloop import VirtualLoop

assert isinstance(gevent.get_hub().loop, VirtualLoop)


def measure(name, fn):
    t0 = time.monotonic_ns()
    out = fn()
    print(name, time.monotonic_ns() - t0, out, flush=True)


measure("gevent.sleep", lambda: gevent.sleep(1.25))
measure("gevent.sleep(0)", lambda: gevent.sleep(0))
measure("gevent.idle", lambda: gevent.idle())
ev = gevent.event.Event()
measure("Event.wait", lambda: ev.wait(2))
res = gevent.event.AsyncResult()
gevent.spawn_later(3, res.set, "v")
measure("AsyncResult.get", lambda: res.get())
q = gevent.queue.Queue()
gevent.spawn_later(0.5, q.put, 42)
measure("Queue.get", lambda: q.get(timeout=5))


def timeout():
    try:
        with Timeout(1.5):
            gevent.sleep(10)
    except Timeout:
        return "Timeout"


measure("Timeout", timeout)
sem = gevent.lock.BoundedSemaphore(1)
sem.acquire()
gevent.spawn_later(0.75, sem.release)
measure("Semaphore", lambda: sem.acquire(timeout=5))
measure("joinall", lambda: len(gevent.joinall([gevent.spawn(gevent.sleep, s) for s in (1, 2, 3)])))
g = gevent.spawn(gevent.sleep, 100)
gevent.spawn_later(1, g.kill)
measure("kill", lambda: g.join())
measure("wait", lambda: len(gevent.wait([gevent.spawn(gevent.sleep, 2)], timeout=5)))
order = []
for i in range(5):
    gevent.spawn(order.append, i)
gevent.sleep(0)
print("spawn-order", order)
with gevent.Timeout(0.1, False):
    gevent.sleep(0.2)
print("timeout-false ok")
