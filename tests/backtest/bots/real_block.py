"""Blocks in a real C call the simulator does not control (libc sleep through ctypes)."""
import ctypes
import time

time.sleep(1)
ctypes.CDLL(None).sleep(30)  # BLOCK-LINE
