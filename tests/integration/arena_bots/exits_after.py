"""A bot that trades a little, then calls os._exit(1) after --after virtual seconds (default one hour)."""
import argparse
import os
import time

import requests

parser = argparse.ArgumentParser()
parser.add_argument("--after", type=float, default=3600.0)
parser.add_argument("--username", default="quitter")
args = parser.parse_args()

BASE = "http://exchange.test/api/"
login = requests.post(BASE + "user/authenticate", json={"username": args.username, "password": "pw"})
auth = {"Authorization": login.headers["Authorization"]}
started = time.monotonic()
while time.monotonic() - started < args.after:
    requests.post(BASE + "order", json={"product": "TIDE_SPOT", "price": 1, "side": "BUY", "volume": 1},
                  headers=auth)
    time.sleep(60)
print("leaving with os._exit(1)", flush=True)
os._exit(1)
