"""URL and credentials from environment variables; a ThreadPoolExecutor of 10 workers placing orders."""
import os
import time
from concurrent.futures import ThreadPoolExecutor

import requests

URL = os.environ.get("CMI_URL", "http://exchange.cmi-challenge.example")
USER = os.environ.get("CMI_USER", "pool")
PASSWORD = os.environ.get("CMI_PASSWORD", "pw")
session = requests.Session()
session.headers["Authorization"] = session.post(URL + "/api/user/authenticate",
                                                json={"username": USER, "password": PASSWORD}).headers["Authorization"]
products = session.get(URL + "/api/product").json()


def place(i):
    product = products[i % len(products)]
    side, factor = ("BUY", 1.2) if i % 2 == 0 else ("SELL", 0.8)
    return session.post(URL + "/api/order", json={"product": product["symbol"], "side": side, "volume": 1,
                                                  "price": round(product["startingPrice"] * factor)}).status_code


with ThreadPoolExecutor(max_workers=10) as pool:
    codes = []
    for _ in range(3):
        codes += list(pool.map(place, range(10)))
        time.sleep(1)
print("pool user", USER, "orders", len(codes), "accepted", codes.count(200), flush=True)
