"""The simplest competitor shape: poll the exchange, sleep 5 s, forever."""
import time

import requests

n = 0
try:
    while True:
        r = requests.get("http://exchange.test/api/product", timeout=5)
        n += len(r.json())
        time.sleep(5)
except KeyboardInterrupt:
    print("requests", n // 2, "at", time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()))
