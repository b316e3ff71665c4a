"""A notebook-style bot: module-level requests, a loop with sleep, an SSE thread."""
import datetime as dt
import threading
import time

import requests
import sseclient

BASE = "http://exchange.test/"


def stamp() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat()


def sse() -> None:
    while True:
        try:
            resp = requests.get(BASE + "api/market/stream", stream=True, timeout=30,
                                headers={"Accept": "text/event-stream; charset=utf-8"})
            for event in sseclient.SSEClient(resp).events():
                print(stamp(), "sse", event.event, event.data, flush=True)
        except requests.exceptions.ConnectionError as exc:
            print(stamp(), "sse reconnect", type(exc).__name__, flush=True)


threading.Thread(target=sse, daemon=True).start()
products = requests.get(BASE + "api/product").json()
print(stamp(), "products", [p["symbol"] for p in products])
try:
    for i in range(3):
        r = requests.post(BASE + "api/echo", json={"i": i}, headers={"Authorization": "tok"})
        print(stamp(), "echo", r.status_code, r.json()["body"], r.elapsed.total_seconds())
        time.sleep(2.5)
except KeyboardInterrupt:
    print(stamp(), "interrupted")
print(stamp(), "done")
