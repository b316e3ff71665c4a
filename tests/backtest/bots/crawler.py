"""Answers every event with requests and heavy work: slower than real time (1 ms virtual per request)."""
import requests

n = 0
while True:
    requests.get("http://exchange.test/api/product", timeout=5)
    sum(i * i for i in range(20000))  # real CPU time, no virtual time
    n += 1
    if n % 100 == 0:
        print("requests", n, flush=True)
