"""Reads data files relative to its working directory and to its own folder; caches in its folder."""
import json
import os
import time
from pathlib import Path

import requests

HERE = Path(__file__).resolve().parent
URL = os.environ.get("CMI_URL", "http://exchange.cmi-challenge.example")
params = json.loads((HERE / "data" / "params.json").read_text())  # relative to its own folder
cwd_note = Path("data/params.json").exists()  # relative to the working directory
cache = HERE / "cache.json"
runs = json.loads(cache.read_text())["runs"] + 1 if cache.exists() else 1
cache.write_text(json.dumps({"runs": runs}))
token = requests.post(URL + "/api/user/authenticate", json={"username": "files", "password": "pw"}).headers["Authorization"]
product = requests.get(URL + "/api/product", headers={"Authorization": token}).json()[0]
for _ in range(3):
    requests.post(URL + "/api/order", headers={"Authorization": token}, json={
        "product": product["symbol"], "side": "BUY", "volume": params["volume"],
        "price": round(product["startingPrice"] * params["factor"])})
    time.sleep(1)
print("files params", params, "cwd sees data", cwd_note, "cache runs", runs, flush=True)
