"""The live dashboard at `/`, in headless Chromium against a real uvicorn on 127.0.0.1."""

from __future__ import annotations

import time

import requests
from browser import PageProblems, chromium, screenshot
from live_exchange import start_live_exchange
from playwright.sync_api import expect
from test_serve_session import start_server, stop_server

from cmi_sim.exchange import ExchangeRules
from cmi_sim.products import CMI_SYMBOLS

TIMEOUT_MS = 15_000


def _order(url: str, headers: dict, product: str, price: float, side: str, volume: int) -> dict:
    reply = requests.post(f"{url}/api/order", json={"product": product, "price": price, "side": side,
                                                   "volume": volume}, headers=headers, timeout=5)
    assert reply.status_code == 200, reply.text
    return reply.json()


def test_dashboard_shows_eight_books_updates_on_an_order_and_shows_own_volume():
    live = start_live_exchange(ExchangeRules(rate_limit="off"))
    try:
        maker = live.login("maker")
        for i, symbol in enumerate(CMI_SYMBOLS):
            _order(live.url, maker, symbol, 100 + i, "BUY", 5)
            _order(live.url, maker, symbol, 110 + i, "SELL", 7)
        with chromium() as browser:
            page = browser.new_page(viewport={"width": 1600, "height": 1000})
            problems = PageProblems(page)
            page.goto(f"{live.url}/")
            cards = page.locator("article.book")
            expect(cards).to_have_count(8, timeout=TIMEOUT_MS)
            assert cards.evaluate_all("cards => cards.map(c => c.dataset.symbol)") == list(CMI_SYMBOLS)
            for i, symbol in enumerate(CMI_SYMBOLS):
                card = page.locator(f'article.book[data-symbol="{symbol}"]')
                expect(card.locator("tr.level.bid td.price")).to_have_text([str(100 + i)], timeout=TIMEOUT_MS)
                expect(card.locator("tr.level.ask td.price")).to_have_text([str(110 + i)], timeout=TIMEOUT_MS)
            expect(page.locator("#conn-text")).to_have_text("live", timeout=TIMEOUT_MS)

            # An order posted through the API shows up in its book, and a trade on the tape and leaderboard.
            taker = live.login("taker")
            _order(live.url, taker, "LON_ETF", 104, "BUY", 9)
            lon_etf = page.locator('article.book[data-symbol="LON_ETF"]')
            expect(lon_etf.locator("tr.level.bid td.price")).to_have_text(["106", "104"], timeout=TIMEOUT_MS)
            _order(live.url, taker, "WX_SPOT", 112, "BUY", 2)
            expect(page.locator("#trades tbody tr").first).to_contain_text("WX_SPOT", timeout=TIMEOUT_MS)
            expect(page.locator('article.book[data-symbol="WX_SPOT"] tr.level.ask td.vol-ask')).to_have_text(
                ["5"], timeout=TIMEOUT_MS)
            expect(page.locator("#leaderboard tbody")).to_contain_text("taker", timeout=TIMEOUT_MS)

            # Logged in through the page's box (the same token as the API), the viewer sees their own volume.
            page.fill("#login-user", "taker")
            page.fill("#login-pass", "pw")
            page.click("#login button[type=submit]")
            expect(page.locator("#whoami-name")).to_have_text("taker", timeout=TIMEOUT_MS)
            expect(lon_etf.locator("tr.level.bid.mine td.own-bid")).to_have_text(["9"], timeout=TIMEOUT_MS)
            expect(page.locator("#leaderboard tr.me")).to_contain_text("taker", timeout=TIMEOUT_MS)
            screenshot(page, "dashboard-plain-exchange")

            # Settlement closes the market: the page says so, and each card shows its value.
            prices = {symbol: 100.0 + i for i, symbol in enumerate(CMI_SYMBOLS)}
            live.server.call(lambda: live.exchange.settle(time.time_ns(), prices))
            expect(page.locator("#status")).to_have_text("settled", timeout=TIMEOUT_MS)
            expect(lon_etf.locator(".mid")).to_have_text("settled at 106", timeout=TIMEOUT_MS)
            expect(lon_etf.locator("tr.level")).to_have_count(0)  # settlement cancelled every order
            assert not problems.errors, problems.errors
    finally:
        live.server.stop()


def test_dashboard_of_a_session_market_at_speed_60_shows_all_eight_books():
    process, url, _ = start_server("--session", "london-2026-02-28", "--speed", "60")
    try:
        with chromium() as browser:
            page = browser.new_page(viewport={"width": 1600, "height": 1000})
            problems = PageProblems(page)
            page.goto(f"{url}/")
            expect(page.locator("article.book")).to_have_count(8, timeout=TIMEOUT_MS)
            for symbol in CMI_SYMBOLS:
                card = page.locator(f'article.book[data-symbol="{symbol}"]')
                expect(card.locator(".sym")).to_have_text(symbol)
                expect(card.locator("tr.level.bid").first).to_be_visible(timeout=TIMEOUT_MS)
                expect(card.locator("tr.level.ask").first).to_be_visible(timeout=TIMEOUT_MS)
            expect(page.locator("#status")).to_have_text("open", timeout=TIMEOUT_MS)
            expect(page.locator("#speed")).to_have_text("60×")
            expect(page.locator("#hours")).to_contain_text("2026-02-28 14:30")
            first_clock = page.locator("#clock-time").text_content()
            expect(page.locator("#clock-time")).not_to_have_text(first_clock, timeout=TIMEOUT_MS)
            expect(page.locator("#trades tbody tr td.num").first).to_be_visible(timeout=TIMEOUT_MS)
            screenshot(page, "dashboard-session-speed-60")
            assert not problems.errors, problems.errors
    finally:
        stop_server(process)
