"""Captures clocks, sleep and urandom BEFORE the runtime's set-up, as user modules may; the sweep
must still make them virtual. Prints `name value` lines; run by test_sweep.py in a subprocess."""
import os
import queue
import threading
import time
from time import monotonic as early_monotonic
from time import perf_counter as early_perf_counter
from time import sleep as early_sleep

early_urandom = os.urandom

from cmi_sim.sandbox.clocks import REAL  # noqa: E402
from cmi_sim.sandbox.config import RunConfig  # noqa: E402
from cmi_sim.sandbox.runtime import VirtualRuntime  # noqa: E402

runtime = VirtualRuntime(RunConfig(bot="-", environment="-:-", result_path=os.devnull, duration_s=10))
runtime.setup()
import gevent  # noqa: E402


def body() -> None:
    t0 = time.monotonic_ns()
    early_sleep(2)
    print("early_sleep_ns", time.monotonic_ns() - t0)
    print("early_monotonic", early_monotonic())
    print("early_perf_counter", early_perf_counter())
    print("early_urandom_is_seeded", early_urandom is os.urandom)
    t0 = time.monotonic_ns()
    try:
        queue.Queue().get(timeout=1.5)
    except queue.Empty:
        print("queue_get_ns", time.monotonic_ns() - t0)
    print("threading_time_virtual", threading._time() == time.monotonic())
    import requests.sessions

    print("requests_clock_virtual", requests.sessions.preferred_clock() == time.time())
    print("real_perf_counter_kept", REAL.perf_counter() != time.perf_counter())


gevent.spawn(body).join()
print("swept", " ".join(sorted(s for s in runtime.swept if s.split(".")[0] in ("__main__", "threading", "queue", "random", "requests"))))
runtime._real_exit(0)
