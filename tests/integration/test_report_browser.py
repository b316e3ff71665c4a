"""A backtest's report.html, opened from disk in headless Chromium with every non-file request blocked."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from browser import PageProblems, chromium, screenshot
from playwright.sync_api import expect

from cmi_sim.products import CMI_SYMBOLS

REPO_BOTS = Path(__file__).resolve().parents[2] / "bots"

# How many pixels of a canvas are drawn on (not transparent): proof that a chart was drawn.
INKED_PIXELS = """canvas => {
  const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let inked = 0;
  for (let i = 3; i < data.length; i += 4) if (data[i]) inked++;
  return inked;
}"""


def test_backtest_report_renders_offline_with_all_eight_products(tmp_path, clean_env):
    out = tmp_path / "run"
    done = subprocess.run([sys.executable, "-m", "cmi_sim", "backtest", str(REPO_BOTS / "quoter.py"), "--until", "1h",
                           "--out", str(out)], capture_output=True, text=True, timeout=600, env=clean_env)
    assert done.returncode == 0, done.stderr
    report = out / "report.html"
    assert report.exists() and (out / "equity.png").exists()

    with chromium() as browser:
        context = browser.new_context(viewport={"width": 1500, "height": 1000})
        attempted: list[str] = []

        def only_files(route):
            if route.request.url.startswith("file://"):
                route.continue_()
            else:
                attempted.append(route.request.url)
                route.abort()

        context.route("**/*", only_files)
        page = context.new_page()
        page.on("request", lambda request: None if request.url.startswith("file://")
                else attempted.append(request.url))
        problems = PageProblems(page)
        page.goto(report.as_uri())
        expect(page.locator("body")).to_have_attribute("data-rendered", "yes")
        products = page.locator(".product")
        assert products.evaluate_all("nodes => nodes.map(n => n.dataset.symbol)") == list(CMI_SYMBOLS)
        for symbol in CMI_SYMBOLS:
            expect(page.locator(f'.product[data-symbol="{symbol}"] .sym')).to_have_text(symbol)
        assert page.locator("#equity-chart").evaluate(INKED_PIXELS) > 500
        for symbol in CMI_SYMBOLS:  # every product traded in the hour: each price chart has a line
            assert page.locator(f'.product[data-symbol="{symbol}"] canvas.price').evaluate(INKED_PIXELS) > 200, symbol
        expect(page.locator("#stats")).to_contain_text("competition score")
        expect(page.locator("#leaderboard")).to_contain_text("simple_quoter")
        first_line = page.locator("#log tr").first
        expect(first_line).to_contain_text("filled:")
        expect(first_line.locator("td.when")).to_have_text(re.compile(r"^14:\d\d:\d\d$"))  # virtual time
        expect(page.locator("#settlement")).to_contain_text("Not settled")

        # Zoom on one chart moves them all (one time window for the whole report).
        equity = page.locator("#equity-chart")
        box = equity.bounding_box()
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        for _ in range(4):
            page.mouse.wheel(0, -200)
        views = page.evaluate("() => window.reportCharts.map(c => c.view)")
        assert len(views) == 1 + 3 * 8 and views[0] is not None and all(view == views[0] for view in views)
        screenshot(page, "report-quoter-1h")
        assert not problems.errors, problems.errors
        assert not attempted, f"the report tried the network: {attempted}"
        # The guard does see a request that leaves the disk (so the check above could have failed).
        page.evaluate("() => fetch('http://127.0.0.1:9/x').catch(() => null)")
        page.wait_for_timeout(200)
        assert "http://127.0.0.1:9/x" in attempted, attempted


def test_report_of_an_arena_run_without_events_shows_its_leaderboard_and_says_what_is_missing(tmp_path):
    import json

    from cmi_sim.backtest.html_report import write_html_report

    record = {"settings": {"bot": "bots/a.py", "session": "london-2026-02-28"},
              "summary": {"user": "a", "status": "ok", "settled": False, "total_pnl": 12.5, "score": 0.5,
                          "pnl": {"TIDE_SPOT": 12.5}, "a_new_key": [1, 2]},
              "leaderboard": [{"participant": "a", "score": 0.5, "pnl": 12.5, "status": "ok"},
                              {"participant": "b", "score": -0.5, "pnl": -3.0, "status": "raised"}]}
    (tmp_path / "run.json").write_text(json.dumps(record))
    report = write_html_report(tmp_path)
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        problems = PageProblems(page)
        page.goto(report.as_uri())
        expect(page.locator("body")).to_have_attribute("data-rendered", "yes")
        expect(page.locator("#notes")).to_contain_text("events.jsonl is missing")
        expect(page.locator("#leaderboard thead")).to_contain_text("participant")
        expect(page.locator("#leaderboard tbody tr")).to_have_count(2)
        expect(page.locator("#leaderboard tbody tr").nth(1)).to_contain_text("raised")
        expect(page.locator("#stats")).to_contain_text("a new key")
        assert page.locator(".product").count() == len(CMI_SYMBOLS)
        screenshot(page, "report-arena-without-events")
        assert not problems.errors, problems.errors
