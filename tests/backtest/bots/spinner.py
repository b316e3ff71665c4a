"""Spins without ever blocking or reading a clock: only the watchdog can catch it."""
import time

time.sleep(3)
flag = False
while not flag:  # SPIN-LINE
    pass
