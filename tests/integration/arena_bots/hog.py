"""A bot that exceeds its limits: --memory allocates that many MiB, --spin burns CPU without yielding."""
import argparse
import time

parser = argparse.ArgumentParser()
parser.add_argument("--memory", type=int, default=0)
parser.add_argument("--spin", action="store_true")
args = parser.parse_args()
time.sleep(60)
if args.memory:
    hoard = bytearray(args.memory << 20)
    hoard[::4096] = b"x" * len(hoard[::4096])
if args.spin:
    while True:
        pass
time.sleep(3600)
