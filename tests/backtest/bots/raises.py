"""Crashes after a while, in a helper function."""
import time


def place_order(qty):
    if qty > 10:
        raise ValueError(f"quantity too large: {qty}")


for qty in range(0, 20, 5):
    place_order(qty)
    time.sleep(1)
