"""Reopens the stream in a tight loop and drops it at once (a broken reconnect loop)."""
import requests

while True:
    try:
        with requests.get("http://exchange.test/api/market/stream", stream=True, timeout=30) as resp:
            resp.raise_for_status()
    except requests.RequestException as exc:
        print("reconnect:", exc)
