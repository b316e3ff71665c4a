"""Where `cmi-sim run` sends each request of a bot: the exchange, the server's data paths, or nowhere."""

from __future__ import annotations

import pytest

from cmi_sim.live.clock_info import ServerClock
from cmi_sim.live.remote_environment import server_target


@pytest.mark.parametrize("url, target", [
    ("http://ec2-52-49-69-152.eu-west-1.compute.amazonaws.com/api/product", "/api/product"),
    ("http://cmi.example//api/order?x=1", "//api/order?x=1"),  # the server collapses the slashes
    ("https://api.open-meteo.com/v1/forecast?latitude=51.5&current=temperature_2m",
     "/data/api.open-meteo.com/v1/forecast?latitude=51.5&current=temperature_2m"),
    ("https://environment.data.gov.uk/flood-monitoring/id/stations/0006/readings?_sorted",
     "/data/environment.data.gov.uk/flood-monitoring/id/stations/0006/readings?_sorted"),
    ("https://AERODATABOX.p.rapidapi.com/flights/airports/iata/LHR",
     "/data/aerodatabox.p.rapidapi.com/flights/airports/iata/LHR"),
    ("https://example.com/", None),
    ("http://cmi.example/docs", None),
])
def test_server_target(url, target):
    assert server_target(url) == target


def test_server_clock_maps_session_time_onto_the_local_monotonic_clock():
    clock = ServerClock(session_ns=1_000_000_000_000, local_monotonic_ns=5_000, speed=60.0, session="s", end_ns=None)
    assert clock.now_ns(5_000) == 1_000_000_000_000
    assert clock.now_ns(5_000 + 1_000_000_000) == 1_000_000_000_000 + 60_000_000_000
