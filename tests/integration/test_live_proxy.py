"""`serve --proxy-port`: real requests and httpx clients reach the data APIs and the exchange at their real
https:// URLs through the proxy (CONNECT, TLS from cmi-sim's local certificate authority), plain http://
through it too, and every other host is refused with a clear message."""

from __future__ import annotations

import ssl
import subprocess
import sys

import httpx
import pytest
import requests
from live_session_server import start_session_server

EXCHANGE = "https://ec2-52-49-69-152.eu-west-1.compute.amazonaws.com"
WEATHER = "https://api.open-meteo.com/v1/forecast?latitude=51.5&longitude=-0.13&current=temperature_2m"
TIDE = "https://environment.data.gov.uk/flood-monitoring/id/stations/0006/readings?_sorted&_limit=2"
FLIGHTS = "https://aerodatabox.p.rapidapi.com/flights/airports/icao/EGLL?offsetMinutes=-60&durationMinutes=120"


@pytest.fixture(scope="module")
def proxied(tmp_path_factory):
    running = start_session_server(ca_dir=tmp_path_factory.mktemp("ca"), exchange_hosts=frozenset({"cmi.example"}))
    yield running
    running.server.stop()


def _session(proxied) -> requests.Session:
    session = requests.Session()
    session.trust_env = False
    session.proxies = {"http": proxied.proxy_url, "https": proxied.proxy_url}
    session.verify = str(proxied.proxy.ca.cert_path)
    return session


def test_requests_reaches_the_three_data_apis_over_https(proxied):
    session = _session(proxied)
    weather = session.get(WEATHER, timeout=10)
    assert weather.status_code == 200 and weather.json()["current_units"]["temperature_2m"] == "°C"
    tide = session.get(TIDE, timeout=10)
    assert tide.status_code == 200 and len(tide.json()["items"]) == 2
    flights = session.get(FLIGHTS, headers={"x-rapidapi-key": "k"}, timeout=10)
    assert flights.status_code == 200 and "departures" in flights.json()


def test_requests_trades_on_the_exchange_over_https(proxied):
    session = _session(proxied)
    login = session.post(f"{EXCHANGE}/api/user/authenticate", json={"username": "https_bot", "password": "pw"},
                         timeout=10)
    assert login.status_code == 200
    session.headers["Authorization"] = login.headers["Authorization"]
    products = session.get(f"{EXCHANGE}/api/product", timeout=10).json()
    assert [p["symbol"] for p in products][:2] == ["TIDE_SPOT", "TIDE_SWING"]
    order = session.post(f"{EXCHANGE}/api/order", json={"product": "TIDE_SPOT", "price": 1, "side": "BUY",
                                                          "volume": 1}, timeout=10)
    assert order.status_code == 200 and order.json()["status"] == "ACTIVE"
    # The market stream through the tunnel: the first frame arrives.
    with session.get(f"{EXCHANGE}/api/market/stream", stream=True, timeout=10,
                     headers={"Accept": "text/event-stream"}) as stream:
        assert stream.status_code == 200
        assert next(stream.iter_content(chunk_size=None))


def test_httpx_through_the_proxy_with_the_ca_and_an_extra_exchange_host(proxied):
    context = ssl.create_default_context(cafile=str(proxied.proxy.ca.cert_path))
    with httpx.Client(proxy=proxied.proxy_url, verify=context, trust_env=False) as client:
        assert client.get(WEATHER).json()["current"]["temperature_2m"] is not None
        assert client.get("https://cmi.example/api/product").status_code == 401  # the exchange: log in first
        assert client.get("http://api.open-meteo.com/v1/forecast?latitude=51.5&longitude=0&current=temperature_2m"
                          ).status_code == 200
        refused = client.get("http://example.com/")
        assert refused.status_code == 403 and "refuses example.com" in refused.json()["message"]
        with pytest.raises(httpx.ProxyError, match="403"):
            client.get("https://example.com/")


def test_a_client_without_the_ca_does_not_trust_the_proxy(proxied):
    session = _session(proxied)
    session.verify = True
    with pytest.raises(requests.exceptions.SSLError):
        session.get(WEATHER, timeout=10)


def test_serve_prints_how_to_trust_the_ca(tmp_path, clean_env):
    process = subprocess.Popen([sys.executable, "-m", "cmi_sim", "serve", "--port", "0", "--proxy-port", "0",
                                "--ca-dir", str(tmp_path / "ca")], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True, env=clean_env)
    try:
        lines = []
        for line in process.stdout:
            lines.append(line)
            if "REQUESTS_CA_BUNDLE" in line:
                break
        text = "".join(lines)
        assert f"SSL_CERT_FILE={tmp_path / 'ca' / 'ca.pem'}" in text and "HTTPS_PROXY=http://127.0.0.1:" in text
        assert (tmp_path / "ca" / "ca.pem").exists() and oct((tmp_path / "ca" / "ca-key.pem").stat().st_mode)[-3:] == "600"
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_a_chunked_upload_is_refused_with_411(proxied):
    def chunks():
        yield b'{"username": "x", '
        yield b'"password": "y"}'

    response = requests.post("http://cmi.example/api/user/authenticate", data=chunks(), timeout=10,
                             proxies={"http": proxied.proxy_url})
    assert response.status_code == 411 and "Content-Length" in response.json()["message"]
