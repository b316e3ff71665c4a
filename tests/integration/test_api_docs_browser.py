"""`/docs` renders in a real browser: headless Debian chromium driven by Playwright opens the page of a
real server on 127.0.0.1, and Swagger UI (vendored, version 5: it reads the OpenAPI 3.1 that FastAPI
serves) shows every operation. Any request that would leave the machine is aborted and fails the test."""

from __future__ import annotations

import shutil
from urllib.parse import urlsplit

import pytest
from live_exchange import start_live_exchange
from playwright.sync_api import sync_playwright

from cmi_sim.api.service import ROUTES

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]


@pytest.fixture
def exchange():
    running = start_live_exchange()
    yield running
    running.server.stop()


def test_docs_render_every_operation_offline(exchange):
    if not shutil.which(CHROMIUM):
        pytest.fail(f"no chromium at {CHROMIUM}: apt-get install -y chromium (.ci/run does)")
    outside: list[str] = []

    def only_loopback(route):
        host = urlsplit(route.request.url).hostname
        if host in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page()
            page.route("**/*", only_loopback)
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.goto(f"{exchange.url}/docs", wait_until="load")
            page.wait_for_selector(".opblock", timeout=30_000)
            blocks = page.locator(".opblock")
            shown = {(blocks.nth(i).locator(".opblock-summary-method").inner_text().strip(),
                      blocks.nth(i).locator(".opblock-summary-path").get_attribute("data-path"))
                     for i in range(blocks.count())}
            assert ("POST", "/api/order") in shown
            assert {(route.method, route.path) for route in ROUTES} <= shown
            body = page.locator("body").inner_text()
            assert "Unable to render this definition" not in body
            version = page.evaluate("() => window.versions && window.versions.swaggerUi && "
                                    "window.versions.swaggerUi.version")
            assert version is None or str(version).startswith("5."), version
            # an operation opens and shows its request body schema
            page.locator(".opblock-post .opblock-summary").first.click()
            page.wait_for_selector(".opblock-body", timeout=10_000)
            assert errors == []
        finally:
            browser.close()
    assert outside == [], f"the docs page tried to reach outside the machine: {outside}"
