"""Exercises every source of nondeterminism a bot can reach; prints what it sees."""
import json
import logging
import os
import queue
import random
import secrets
import threading
import time
import uuid

import requests

logging.basicConfig(format="%(asctime)s %(threadName)s %(message)s", level=logging.INFO)
log = logging.getLogger("bot")
BASE = "http://exchange.test"
lock = threading.Lock()
seen = []
work = queue.Queue()


def worker(name):
    while True:
        try:
            item = work.get(timeout=2)
        except queue.Empty:
            item = None
        with lock:
            seen.append((name, item, time.time()))
        time.sleep(random.random())


for n in range(3):
    threading.Thread(target=worker, args=(f"w{n}",), daemon=True).start()

print("uuid4", uuid.uuid4())
print("urandom", os.urandom(8).hex())
print("secrets", secrets.token_hex(8))
print("random", random.random(), random.Random().random())
print("sysrandom", random.SystemRandom().random())
print("hash-order", sorted({"a", "b", "c"}) == ["a", "b", "c"], list({"x": 1, "y": 2}))
session = requests.Session()
try:
    i = 0
    while True:
        i += 1
        r = session.get(f"{BASE}/api/echo", params={"i": i}, timeout=5)
        work.put(i)
        log.info("echo %s %s", r.json()["query"], r.json()["t_ns"])
        time.sleep(random.uniform(0.5, 1.5))
except KeyboardInterrupt:
    log.info("interrupted")
with lock:
    print(json.dumps(seen))
