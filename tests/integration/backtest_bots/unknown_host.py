"""Calls a host the simulator does not serve; the bot handles the error and carries on."""

import time

import requests

try:
    requests.get("https://api.example.com/prices", timeout=5)
    print("unexpected: the request went through")
except requests.exceptions.ConnectionError as error:
    print(f"refused: {error}")
while True:
    time.sleep(60)
