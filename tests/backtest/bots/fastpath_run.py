"""A busy bot for the whole-run check (fast path on vs off): every request shape it uses, threads,
an SSE stream, errors and refusals; prints what it sees with virtual timestamps."""
import json
import threading
import time

import requests
import sseclient

BASE = "http://exchange.test"
lock = threading.Lock()
log = []


def say(*parts):
    with lock:
        print(time.time_ns(), *parts, flush=True)


def sse():
    while True:
        try:
            resp = requests.get(BASE + "/api/market/stream", stream=True, timeout=3,
                                headers={"Accept": "text/event-stream"})
            for event in sseclient.SSEClient(resp).events():
                say("sse", event.event, json.loads(event.data)["tick"])
        except requests.exceptions.ConnectionError as exc:
            say("sse-reconnect", type(exc).__name__)


def poller(name, session):
    i = 0
    while True:
        i += 1
        r = session.get(BASE + "/api/echo", params={"poller": name, "i": i}, timeout=2)
        say(name, r.status_code, r.json()["query"], r.elapsed.total_seconds())
        if i % 7 == 0:
            time.sleep(0.05)


threading.Thread(target=sse, daemon=True).start()
session = requests.Session()
session.headers["Authorization"] = "Bearer t"
threading.Thread(target=poller, args=("p1", session), daemon=True).start()
threading.Thread(target=poller, args=("p2", requests.Session()), daemon=True).start()
try:
    n = 0
    while True:
        n += 1
        products = requests.get(BASE + "/api/product", timeout=5).json()
        r = requests.post(BASE + "/api/echo", json={"n": n, "symbol": products[n % 2]["symbol"], "px": 100.5},
                          headers={"Authorization": "tok"})
        say("post", r.status_code, r.json()["body"], r.headers["content-type"], r.encoding)
        r = requests.delete(f"{BASE}/api/echo?id={n}")
        say("delete", r.status_code, r.json()["query"], r.request.headers.get("Content-Length"))
        r = requests.delete(f"{BASE}/api/order/{n}")
        say("delete-404", r.status_code, r.json())
        r = requests.put(BASE + "/api/echo", data=f"raw-{n}".encode())
        say("put", r.json()["body"], len(r.content))
        r = requests.get(BASE + "/api/fail")
        say("fail", r.status_code, r.ok, r.reason, r.text)
        try:
            requests.get("http://elsewhere.test/x", timeout=1)
        except requests.exceptions.ConnectionError as exc:
            say("refused", exc)
        if n % 5 == 0:
            time.sleep(0.1)
except KeyboardInterrupt:
    say("interrupted after", n)
