"""Organisers' template style: a hard-coded URL, requests, an SSE thread on sseclient-py, a main loop."""
import json
import threading
import time

import requests
import sseclient

URL = "http://exchange.cmi-challenge.example"
CYCLES = 5
token = requests.post(URL + "/api/user/authenticate", json={"username": "tmpl", "password": "pw"}).headers["Authorization"]
H = {"Authorization": token}
books = {}


def stream():
    resp = requests.get(URL + "/api/market/stream", headers=H, stream=True, timeout=30)
    for event in sseclient.SSEClient(resp).events():
        if event.event == "order":
            book = json.loads(event.data)
            books[book["productsymbol"]] = book


threading.Thread(target=stream, daemon=True).start()
product = requests.get(URL + "/api/product", headers=H).json()[0]
placed = 0
for _ in range(CYCLES):
    price = product["startingPrice"]
    for side, p in (("BUY", price * 1.2), ("SELL", price * 0.8)):
        r = requests.post(URL + "/api/order", headers=H, json={"product": product["symbol"], "price": round(p),
                                                               "side": side, "volume": 1})
        placed += r.ok
    time.sleep(1)
print("template_style placed", placed, "books seen", bool(books), flush=True)
