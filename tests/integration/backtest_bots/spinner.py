"""Spins without reading a clock or blocking: only the wall-clock watchdog can notice."""

flag = False
while not flag:
    pass
