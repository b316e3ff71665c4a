"""A bot as a team wrote it for the real day: hard-coded exchange and data-API URLs (https), the tide from
the Environment Agency, the weather from Open-Meteo, flights from AeroDataBox; it prints its clock,
what it learned, and trades TIDE_SPOT and WX_SPOT across the spread. Nothing in it knows about cmi-sim."""

import json
import sys
import time
from datetime import datetime, timezone

import requests

EXCHANGE = "http://ec2-52-49-69-152.eu-west-1.compute.amazonaws.com"
TIDE = ("https://environment.data.gov.uk/flood-monitoring/id/stations/0006/readings"
        "?_sorted&_limit=4")
WEATHER = ("https://api.open-meteo.com/v1/forecast?latitude=51.5074&longitude=-0.1278"
           "&current=temperature_2m&temperature_unit=fahrenheit&timezone=Europe/London")
FLIGHTS = ("https://aerodatabox.p.rapidapi.com/flights/airports/iata/LHR"
           "?offsetMinutes=-60&durationMinutes=120&direction=Departure")
SETTLEMENT = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)


def say(**fields):
    fields["clock"] = datetime.now(timezone.utc).isoformat()
    print(json.dumps(fields), flush=True)


rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 3
username = sys.argv[2] if len(sys.argv) > 2 else "tide_weather"
session = requests.Session()
login = session.post(f"{EXCHANGE}/api/user/authenticate", json={"username": username, "password": "pw"})
session.headers["Authorization"] = login.headers["Authorization"]
say(event="start", hours_to_settlement=round((SETTLEMENT - datetime.now(timezone.utc)).total_seconds() / 3600, 2))

for step in range(rounds):
    tide = requests.get(TIDE, timeout=10).json()["items"]
    weather = requests.get(WEATHER, timeout=10).json()
    flights = requests.get(FLIGHTS, headers={"x-rapidapi-key": "team-key"}, timeout=10).json()
    say(event="data", tide_latest=tide[0]["dateTime"], tide_value=tide[0]["value"],
        weather_time=weather["current"]["time"], temperature_f=weather["current"]["temperature_2m"],
        temperature_unit=weather["current_units"]["temperature_2m"], departures=len(flights["departures"]))
    for product in ("TIDE_SPOT", "WX_SPOT"):
        book = session.get(f"{EXCHANGE}/api/product/{product}/order-book/current-user").json()
        if book["sell"]:
            answer = session.post(f"{EXCHANGE}/api/order", json={
                "product": product, "price": book["sell"][0]["price"] + 10, "side": "BUY", "volume": 1}).json()
            say(event="order", product=product, status=answer.get("status"), filled=answer.get("filled"),
                timestamp=answer.get("timestamp"))
    time.sleep(60)  # one session minute

positions = session.get(f"{EXCHANGE}/api/position/current-user").json()
say(event="done", positions={p["product"]: p["netPosition"] for p in positions})
