"""A bot that only listens: it prints the virtual time (ns since the epoch) at which each stream event
reaches it, for the first --events events, then leaves."""
import argparse
import time

import requests

parser = argparse.ArgumentParser()
parser.add_argument("--events", type=int, default=50)
parser.add_argument("--username", default="listener")
args = parser.parse_args()

BASE = "http://exchange.test/api/"
login = requests.post(BASE + "user/authenticate", json={"username": args.username, "password": "pw"})
headers = {"Authorization": login.headers["Authorization"], "Accept": "text/event-stream; charset=utf-8"}
seen = 0
with requests.get(BASE + "market/stream", headers=headers, stream=True, timeout=30) as response:
    for line in response.iter_lines():
        if line.startswith(b"event:"):
            print(time.time_ns(), flush=True)
            seen += 1
            if seen >= args.events:
                break
