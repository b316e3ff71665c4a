"""The live server's door, through real HTTP clients: the session clock, the data APIs at the server's
own paths and through it as an HTTP forward proxy (absolute-form targets), and the refusal of other hosts."""

from __future__ import annotations

from datetime import datetime, timezone

import httpx
import pytest
import requests
from live_session_server import start_session_server

from cmi_sim.live.clock_info import read_server_clock

WEATHER = "/v1/forecast?latitude=51.5&longitude=-0.13&current=temperature_2m"
TIDE = "/flood-monitoring/id/stations/0006/readings?_sorted&_limit=1"


@pytest.fixture(scope="module")
def served():
    running = start_session_server()
    yield running
    running.server.stop()


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text[:26] + "+00:00")


def test_clock_reads_the_session_time_and_speed(served):
    info = requests.get(f"{served.url}/cmi-sim/clock", timeout=5).json()
    assert info["session"] == "london-2026-02-28" and info["speed"] == 60.0
    assert info["open"] == "2026-02-28T14:30:00.000000000Z" and info["end"] == "2026-03-01T12:00:00.000000000Z"
    now = _utc(info["now"])
    assert datetime(2026, 2, 28, 14, 30, tzinfo=timezone.utc) <= now < datetime(2026, 2, 28, 16, tzinfo=timezone.utc)
    clock = read_server_clock(served.url)
    assert clock.speed == 60.0 and abs(clock.now_ns() - served.live.clock()) < 2e9  # within 2 session s


def test_data_apis_at_the_servers_own_paths_answer_as_of_the_session_clock(served):
    weather = requests.get(f"{served.url}/data/api.open-meteo.com{WEATHER}", timeout=5).json()
    tide = requests.get(f"{served.url}/data/environment.data.gov.uk{TIDE}", timeout=5).json()
    now = served.live.clock()
    current = datetime.fromisoformat(weather["current"]["time"] + "+00:00").timestamp() * 1e9
    assert now - 15 * 60e9 - 2e9 <= current <= now
    reading = datetime.fromisoformat(tide["items"][0]["dateTime"].replace("Z", "+00:00")).timestamp() * 1e9
    assert reading <= now - 30 * 60e9  # published 30 minutes after it was taken
    flights = requests.get(f"{served.url}/data/aerodatabox.p.rapidapi.com/flights/airports/iata/LHR",
                           headers={"x-rapidapi-key": "k"}, timeout=5)
    assert flights.status_code == 200 and flights.json()["departures"]
    unknown = requests.get(f"{served.url}/data/example.com/x", timeout=5)
    assert unknown.status_code == 404 and "api.open-meteo.com" in unknown.json()["message"]


def test_http_forward_proxy_serves_data_hosts_and_the_exchange_and_refuses_others(served):
    proxies = {"http": served.url}
    weather = requests.get(f"http://api.open-meteo.com{WEATHER}", proxies=proxies, timeout=5)
    assert weather.status_code == 200 and "temperature_2m" in weather.json()["current"]
    with httpx.Client(proxy=served.url) as client:
        tide = client.get(f"http://environment.data.gov.uk{TIDE}")
        assert tide.status_code == 200 and len(tide.json()["items"]) == 1
        products = client.get("http://ec2-52-49-69-152.eu-west-1.compute.amazonaws.com/api/product")
        assert products.status_code == 401  # the exchange itself: log in first
        refused = client.get("http://example.com/")
    assert refused.status_code == 403
    assert "refuses example.com" in refused.json()["message"]



def test_a_serve_without_a_session_tells_the_wall_clock_and_has_no_data_apis():
    import time

    from cmi_sim.api.app import create_app
    from cmi_sim.api.server import ExchangeServer
    from cmi_sim.api.service import ExchangeService
    from cmi_sim.exchange import Exchange
    from cmi_sim.live.door import attach_live_door
    from cmi_sim.products import cmi_products

    server = ExchangeServer(create_app(ExchangeService(Exchange(cmi_products()), time.time_ns)))
    attach_live_door(server)
    url = server.start_in_thread()
    try:
        info = requests.get(f"{url}/cmi-sim/clock", timeout=5).json()
        assert info["session"] is None and info["speed"] == 1.0 and info["end"] is None
        assert abs(info["now_ns"] - time.time_ns()) < 5e9
        data = requests.get(f"{url}/data/api.open-meteo.com{WEATHER}", timeout=5)
        assert data.status_code == 503 and "--session" in data.json()["message"]
    finally:
        server.stop()
