"""Serves its own dashboard page (http.server on a port) in a daemon thread while it trades."""
import http.server
import os
import threading
import time

import requests

URL = os.environ.get("CMI_URL", "http://exchange.cmi-challenge.example")
state = {"orders": 0}


class Page(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.end_headers()
        self.wfile.write(f"<h1>orders: {state['orders']}</h1>".encode())


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Page)
threading.Thread(target=server.serve_forever, daemon=True).start()
token = requests.post(URL + "/api/user/authenticate", json={"username": "dash", "password": "pw"}).headers["Authorization"]
product = requests.get(URL + "/api/product", headers={"Authorization": token}).json()[0]
for _ in range(5):
    r = requests.post(URL + "/api/order", headers={"Authorization": token}, json={
        "product": product["symbol"], "side": "BUY", "volume": 1, "price": round(product["startingPrice"] * 1.2)})
    state["orders"] += r.ok
    time.sleep(1)
print("dashboard orders", state["orders"], "port given", server.server_address[1] > 0, flush=True)
