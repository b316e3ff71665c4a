"""Busy-waits on the clock without ever blocking."""

import time

for _ in range(3):
    started = time.time()
    while time.time() < started + 5:
        pass
    print(f"waited {time.time() - started:.3f}", flush=True)
while True:
    time.sleep(60)
