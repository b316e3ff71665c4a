"""sseclient 0.0.27 (btubbs): its own requests.get(stream=True), reconnect after retry, Last-Event-ID."""
import time

import sseclient

print("library", sseclient.__version__, sseclient.__file__.rsplit("/", 1)[-1], flush=True)
try:
    for msg in sseclient.SSEClient("http://exchange.test/api/market/stream", headers={"Authorization": "tok"}):
        print(time.time(), "event", msg.event, msg.id, msg.data, flush=True)
except KeyboardInterrupt:
    pass
