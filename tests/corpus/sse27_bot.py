"""Written for sseclient 0.0.27 (btubbs): SSEClient(url, headers=...) does its own requests.get."""
import json
import os
import threading
import time

import requests
import sseclient

URL = os.environ.get("CMI_URL", "http://exchange.cmi-challenge.example")
token = requests.post(URL + "/api/user/authenticate", json={"username": "s27", "password": "pw"}).headers["Authorization"]
events = []


def stream():
    for msg in sseclient.SSEClient(URL + "/api/market/stream", headers={"Authorization": token}):
        if msg.event == "order":
            events.append(json.loads(msg.data)["productsymbol"])


threading.Thread(target=stream, daemon=True).start()
product = requests.get(URL + "/api/product", headers={"Authorization": token}).json()[0]
placed = 0
for _ in range(5):
    r = requests.post(URL + "/api/order", headers={"Authorization": token},
                      json={"product": product["symbol"], "price": round(product["startingPrice"] * 1.2), "side": "BUY", "volume": 1})
    placed += r.ok
    time.sleep(1)
print("sse27 library", sseclient.__version__, "placed", placed, "events", len(events) > 0, flush=True)
