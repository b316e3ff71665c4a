"""Keeps buying TIDE_SPOT, crossing the spread and resting bids, past any sane size; then sells some back.
Logs each answer and its position as JSON lines, so a test can check the position limit held."""

import json
import time

import requests

EXCHANGE = "http://ec2-52-49-69-152.eu-west-1.compute.amazonaws.com"
PRODUCT = "TIDE_SPOT"

session = requests.Session()
login = session.post(f"{EXCHANGE}/api/user/authenticate", json={"username": "keeps_buying", "password": "pw"})
session.headers["Authorization"] = login.headers["Authorization"]


def order(side: str, price: float, volume: int) -> dict:
    response = session.post(f"{EXCHANGE}/api/order",
                            json={"product": PRODUCT, "price": price, "side": side, "volume": volume})
    return {"status_code": response.status_code, "body": response.json()}


def position() -> int:
    for entry in session.get(f"{EXCHANGE}/api/position/current-user").json():
        if entry["product"] == PRODUCT:
            return entry["netPosition"]
    return 0


def best(book: dict, side: str) -> float | None:
    levels = book[side]
    return levels[0]["price"] if levels else None


for step in range(120):
    book = session.get(f"{EXCHANGE}/api/product/{PRODUCT}/order-book/current-user").json()
    bid, ask = best(book, "buy"), best(book, "sell")
    if bid is not None:
        print(json.dumps({"event": "order", "kind": "rest", **order("BUY", bid, 20)}), flush=True)
    if ask is not None:
        print(json.dumps({"event": "order", "kind": "cross", **order("BUY", ask, 10)}), flush=True)
    print(json.dumps({"event": "position", "position": position()}), flush=True)
    time.sleep(30)

book = session.get(f"{EXCHANGE}/api/product/{PRODUCT}/order-book/current-user").json()
bid = best(book, "buy")
sell = order("SELL", bid - 50 if bid is not None else 1, 10)
print(json.dumps({"event": "order", "kind": "reduce", **sell}), flush=True)
print(json.dumps({"event": "position", "position": position()}), flush=True)
