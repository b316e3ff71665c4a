"""Raises after a while of virtual time."""

import time

time.sleep(120)
raise ValueError("the strategy has a bug")
