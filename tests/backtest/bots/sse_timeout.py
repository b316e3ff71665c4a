"""sseclient-py over requests with a 30 s read timeout; ticks come every 40 s -> reconnects."""
import time

import requests
import sseclient

try:
    while True:
        try:
            resp = requests.get("http://exchange.test/api/market/stream", stream=True, timeout=30,
                                headers={"Accept": "text/event-stream; charset=utf-8"})
            for event in sseclient.SSEClient(resp).events():
                print(time.time(), "event", event.event, event.data, flush=True)
        except requests.exceptions.ConnectionError as exc:
            print(time.time(), "reconnect", type(exc).__name__, "Read timed out" in str(exc), flush=True)
except KeyboardInterrupt:
    pass
