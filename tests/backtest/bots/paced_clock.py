"""Reads its clocks around sleeps, a timeout and a tight loop, and prints virtual and real durations."""
import json
import threading
import time

from cmi_sim.sandbox.clocks import REAL

start_virtual, start_real = time.time(), REAL.monotonic()
time.sleep(30)
slept = (time.time() - start_virtual, REAL.monotonic() - start_real)
event = threading.Event()
t0, r0 = time.monotonic(), REAL.monotonic()
event.wait(12)
waited = (time.monotonic() - t0, REAL.monotonic() - r0)
t1, r1 = time.time(), REAL.monotonic()
while time.time() < t1 + 6:  # busy-waits until 6 session seconds have passed
    pass
spun = (time.time() - t1, REAL.monotonic() - r1)
print(json.dumps({"slept": slept, "waited": waited, "spun": spun, "start": start_virtual}), flush=True)
