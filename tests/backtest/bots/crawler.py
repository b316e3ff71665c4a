"""Answers every event with requests and heavy work: slower than real time (1 ms virtual per request)."""
import requests

n = 0
while True:
    requests.get("http://exchange.test/api/product", timeout=5)
    sum(i * i for i in range(200000))  # ~10 ms of real CPU time, no virtual time: ten times slower than real time
    n += 1
    if n % 100 == 0:
        print("requests", n, flush=True)
