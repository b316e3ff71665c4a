"""A request-heavy bot for the transport benchmark: polls and posts as fast as it can, no sleeps.

Each round: ``requests.get`` of the product list, ``requests.post`` of an order-like json body,
``Session.get`` with params and ``Session.delete``. With the default 1 ms virtual latency each
request takes 1 virtual ms, so a run of D virtual seconds makes about D*1000 requests. The bot
prints its count at Ctrl-C (the end of the session) and the real seconds its loop took (the
runner's real clock, ``cmi_sim.sandbox.clocks.REAL``: every clock a bot normally reads is
virtual), so the benchmark can divide the two.
"""
import requests

from cmi_sim.sandbox.clocks import REAL

BASE = "http://exchange.test"
ORDER = {"product": "TIDE", "side": "BUY", "price": 101, "volume": 1, "clientOrderId": ""}

wall0 = REAL.perf_counter()
n = 0
errors = 0
session = requests.Session()
session.headers["Authorization"] = "Bearer token"
try:
    while True:
        products = requests.get(BASE + "/api/product", timeout=5).json()
        ORDER["clientOrderId"] = f"c{n}"
        r = requests.post(BASE + "/api/order", json=ORDER, headers={"Authorization": "Bearer token"}, timeout=5)
        errors += not r.ok
        book = session.get(BASE + "/api/orderbook", params={"product": products[0]["symbol"]}, timeout=5).json()
        r = session.delete(BASE + "/api/order/" + str(r.json()["id"]), timeout=5)
        errors += not r.ok
        n += 4
except KeyboardInterrupt:
    print("requests", n, "errors", errors, "wall_s", round(REAL.perf_counter() - wall0, 4), flush=True)
