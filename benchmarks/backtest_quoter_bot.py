"""A quoter-shaped bot for the 24 h benchmark: one SSE stream, about one request per virtual second.

An SSE thread (sseclient-py over ``requests``, read timeout 30 s, reconnects on errors) counts the
market events; the main loop polls the book every second and sends an order-like POST every
5 seconds. Prints its counts at Ctrl-C (the end of the session).
"""
import threading
import time

import requests
import sseclient

BASE = "http://exchange.test"
events = 0
reconnects = 0


def stream():
    global events, reconnects
    while True:
        try:
            resp = requests.get(BASE + "/api/market/stream", stream=True, timeout=30,
                                headers={"Accept": "text/event-stream; charset=utf-8"})
            for event in sseclient.SSEClient(resp).events():
                if event.event == "order":
                    events += 1
        except requests.exceptions.ConnectionError:
            reconnects += 1


threading.Thread(target=stream, daemon=True).start()
n = 0
try:
    while True:
        products = requests.get(BASE + "/api/product", timeout=5).json()
        n += 1
        if n % 5 == 0:
            r = requests.post(BASE + "/api/echo", json={"product": products[0]["symbol"], "price": 100 + n % 7, "side": "BUY"},
                              headers={"Authorization": "Bearer token"}, timeout=5)
            r.raise_for_status()
            n += 1
        time.sleep(1)
except KeyboardInterrupt:
    print("requests", n, "events", events, "reconnects", reconnects, flush=True)
