"""The dashboard's routes on a real uvicorn: the page, its assets, one market-wide stream, own orders."""

from __future__ import annotations

import json
import time

import requests
from live_exchange import start_live_exchange


def frames(response):
    """The JSON frames of an SSE response, as (raw line, parsed)."""
    for line in response.iter_lines():
        if line.startswith(b"data: "):
            yield line, json.loads(line[6:])


def test_every_viewer_gets_the_same_frame_bytes_and_the_page_is_served():
    live = start_live_exchange()
    try:
        page = requests.get(f"{live.url}/", timeout=5)
        assert page.status_code == 200 and "text/html" in page.headers["content-type"]
        texts = [page.text]
        for asset in ("dashboard.js", "charts.js", "dashboard.css"):
            reply = requests.get(f"{live.url}/dashboard/static/{asset}", timeout=5)
            assert reply.status_code == 200
            texts.append(reply.text)
        assert not any("http://" in text or "https://" in text for text in texts)  # no CDN: works offline
        headers = live.login("alice")
        streams = [requests.get(f"{live.url}/dashboard/stream", stream=True, timeout=10) for _ in range(2)]
        readers = [frames(stream) for stream in streams]
        snapshots = [next(reader)[1] for reader in readers]
        assert all(s["snapshot"] and len(s["products"]) == 8 for s in snapshots)
        assert live.server.call(lambda: len(live.server.app.state.dashboard.viewers)) == 2
        reply = requests.post(f"{live.url}/api/order", json={"product": "LHR_INDEX", "price": 123, "side": "BUY",
                                                             "volume": 4}, headers=headers, timeout=5)
        assert reply.status_code == 200, reply.text
        seen = []
        for reader in readers:
            for raw, frame in reader:
                lhr_index = frame["products"][5]
                if lhr_index["bids"] == [[123, 4]]:
                    seen.append(raw)
                    assert frame["points"]["LHR_INDEX"][0][1:] == [123, None, None]
                    break
        assert seen[0] == seen[1]  # rendered once, the same bytes to both
        for stream in streams:
            stream.close()
        deadline = time.monotonic() + 5
        while live.server.call(lambda: len(live.server.app.state.dashboard.viewers)) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert live.server.call(lambda: len(live.server.app.state.dashboard.viewers)) == 0

        state = requests.get(f"{live.url}/dashboard/state", timeout=5).json()
        assert state["products"][5]["bids"] == [[123, 4]]
        own = requests.get(f"{live.url}/dashboard/own", headers=headers, timeout=5)
        assert own.status_code == 200 and own.json()["orders"]["LHR_INDEX"]["BUY"] == {"123": 4}
        refused = requests.get(f"{live.url}/dashboard/own", timeout=5)
        assert refused.status_code == 401 and "Authorization" in refused.json()["message"]
        assert requests.get(f"{live.url}/nothing-here", timeout=5).status_code == 404  # the catch-all stays
    finally:
        live.server.stop()
