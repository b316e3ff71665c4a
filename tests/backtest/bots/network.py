"""Reaches for the real network in every way a bot might; each must fail loudly and be reported."""
import socket
import urllib.error
import urllib.request

import requests

try:
    requests.get("https://api.open-meteo.com/v1/forecast?latitude=51.5", timeout=10)
except requests.exceptions.ConnectionError as exc:
    print("requests:", exc)
try:
    urllib.request.urlopen("http://environment.data.gov.uk/flood-monitoring/id/stations", timeout=5)
except urllib.error.URLError as exc:
    print("urlopen:", exc.reason)
try:
    socket.create_connection(("example.com", 80), timeout=5)
except OSError as exc:
    print("socket:", exc)
try:
    socket.getaddrinfo("example.com", 443)
except OSError as exc:
    print("getaddrinfo:", exc)
print("exchange still works:", requests.get("http://exchange.test/api/product").status_code)
