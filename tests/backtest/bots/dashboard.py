"""Serves its own dashboard page (http.server in a daemon thread) while it trades over requests."""
import http.server
import threading
import time

import requests

state = {"polls": 0}


class Page(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = f"<h1>polls: {state['polls']}</h1>".encode()
        self.send_response(200)
        self.end_headers()
        self.wfile.write(body)


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Page)
print("dashboard on port", server.server_address[1], flush=True)
threading.Thread(target=server.serve_forever, daemon=True).start()
for _ in range(5):
    state["polls"] += requests.get("http://exchange.test/api/product", timeout=5).status_code == 200
    time.sleep(1)
print("polls", state["polls"], flush=True)
