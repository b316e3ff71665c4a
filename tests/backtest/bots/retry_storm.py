"""Retries an always-failing endpoint with no sleep at all (the zero-latency hang of pitfall 9)."""
import sys
import time

import requests

n = 0
try:
    while True:
        n += 1
        requests.get("http://exchange.test/api/fail")
except KeyboardInterrupt:
    print("retries", n, "until", time.time())
sys.exit(2)
