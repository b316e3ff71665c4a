"""Property-based fuzzing of the REST API from its own OpenAPI schema: no input gives a 5xx or a hang.

Schemathesis generates the cases (valid and invalid ones) from the schema the app serves; hypothesis
drives them. (Schemathesis' pytest plugin does not support pytest 9 yet, so the strategies are used
directly.)
"""

from __future__ import annotations

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from live_exchange import start_live_exchange
from schemathesis import GenerationMode

from cmi_sim.api.service import ROUTES


@pytest.fixture(scope="module")
def fuzzed_exchange():
    running = start_live_exchange()
    yield running
    running.server.stop()


@pytest.fixture(scope="module")
def operations(fuzzed_exchange):
    schema = schemathesis.openapi.from_url(f"{fuzzed_exchange.url}/openapi.json")
    return {(op.method.upper(), op.path): op for op in (result.ok() for result in schema.get_all_operations())}


@pytest.fixture(scope="module")
def token(fuzzed_exchange):
    return fuzzed_exchange.login("fuzzer")["Authorization"]


# Invalid cases exist only where the schema constrains something (a body or a query); a free-form string
# path parameter has no invalid value to generate.
CASES = [(route, GenerationMode.POSITIVE) for route in ROUTES] + [
    (route, GenerationMode.NEGATIVE) for route in ROUTES if route.body is not None or route.query]


@pytest.mark.parametrize("route,mode", CASES, ids=[f"{r.method} {r.path} {m.value}" for r, m in CASES])
def test_no_input_gives_a_server_error(fuzzed_exchange, operations, token, route, mode):
    operation = operations[(route.method, route.path)]

    @given(data=st.data())
    @settings(max_examples=25, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def check(data):
        case = data.draw(operation.as_strategy(generation_mode=mode))
        headers = dict(case.headers or {})
        headers.setdefault("Authorization", token)
        response = case.call(headers=headers, timeout=5)
        assert response.status_code < 500, f"{case.method} {case.path}: {response.status_code} {response.text}"
        if response.status_code >= 400:
            assert response.json()["message"]
        fuzzed_exchange.server.call(fuzzed_exchange.exchange.engine._check)

    check()


def test_schema_documents_every_rest_route(fuzzed_exchange):
    document = requests.get(f"{fuzzed_exchange.url}/openapi.json", timeout=5).json()
    for route in ROUTES:
        assert route.method.lower() in document["paths"][route.path], route.path


def test_docs_page_uses_only_local_assets(fuzzed_exchange):
    page = requests.get(f"{fuzzed_exchange.url}/docs", timeout=5).text
    assert "cdn" not in page.lower() and "/docs-static/swagger-ui-bundle.js" in page
    asset = requests.get(f"{fuzzed_exchange.url}/docs-static/swagger-ui-bundle.js", timeout=5)
    assert asset.status_code == 200 and len(asset.content) > 100_000
