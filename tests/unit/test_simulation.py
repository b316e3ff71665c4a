"""Simulation: a run assembled from a session (exchange, service, world data, market)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from cmi_sim.engine import BUY
from cmi_sim.exchange import Accounts, ExchangeRules, TradingHours
from cmi_sim.products import CMI_SYMBOLS
from cmi_sim.sessions import Session, SessionError, load_session
from cmi_sim.sessions.session import _builtin_dirs
from cmi_sim.simulation import Simulation

SECOND_NS = 10**9


@pytest.fixture(scope="module")
def london() -> Session:
    return load_session("london-2026-02-28")


def session_with_market(tmp_path: Path, market: str) -> Session:
    """A copy of the built-in synthetic session with another [market] table."""
    target = tmp_path / "s"
    shutil.copytree(_builtin_dirs()["synthetic"], target)
    (target / "recording.jsonl").write_text("")
    manifest = target / "session.toml"
    text = manifest.read_text()
    start, rest = text.index("[market]"), text.index("[market.params]") + len("[market.params]")
    manifest.write_text(text[:start] + market + text[rest:])
    return load_session(target)


def test_exchange_takes_products_rules_and_hours_from_the_session(london):
    sim = Simulation(london, clock=lambda: 0)
    exchange = sim.exchange
    assert list(exchange.products) == list(CMI_SYMBOLS)
    assert {s: p.starting_price for s, p in exchange.products.items()} == dict(london.products)
    assert exchange.rules == ExchangeRules.from_mapping(dict(london.rules))
    assert exchange.hours == TradingHours(london.open_ns, london.close_ns)
    assert sim.data is not None and sim.market is not None


def test_service_stamps_requests_with_the_injected_clock(london):
    now = [london.open_ns + 5 * SECOND_NS]
    sim = Simulation(london, clock=lambda: now[0])
    token = sim.exchange.login("alice", "pw").token
    headers = {"Authorization": f"Bearer {token}"}
    body = json.dumps({"product": "TIDE_SPOT", "price": 1, "side": "BUY", "volume": 1}).encode()
    assert sim.service.handle("POST", "/api/order", {}, headers, body).status == 200
    now[0] = london.close_ns
    assert sim.service.handle("POST", "/api/order", {}, headers, body).status == 400  # market closed


def test_rules_and_hours_can_be_overridden(london):
    hours = TradingHours(london.open_ns, london.open_ns + 60 * SECOND_NS)
    sim = Simulation(london, clock=lambda: 0, rules=ExchangeRules(position_limit=7), hours=hours)
    assert sim.exchange.rules.position_limit == 7
    assert sim.market_step(london.open_ns + 60 * SECOND_NS) is None


def test_market_accounts_cannot_be_logged_into(london):
    accounts = Accounts()
    sim = Simulation(london, clock=lambda: 0, accounts=accounts)
    assert "mm-TIDE_SPOT-1" in sim.market.accounts and "noise-1" in sim.market.accounts
    assert "fatfinger" in sim.market.accounts and "faroff" in sim.market.accounts
    assert accounts.login("mm-TIDE_SPOT-1", "").error is not None
    assert accounts.login("noise-3", "anything").error is not None
    assert accounts.login("alice", "pw").token is not None


def test_default_accounts_are_reproducible(london):
    tokens = [Simulation(london, clock=lambda: 0).exchange.login("alice", "pw").token for _ in range(2)]
    assert tokens[0] == tokens[1]


def test_settle_pays_the_session_settlement_values(london):
    sim = Simulation(london, clock=lambda: 0)
    wake = sim.market_step(london.open_ns)
    while wake <= london.open_ns + 30 * SECOND_NS:
        wake = sim.market_step(wake)
    best_ask = sim.exchange.engine.best_prices("TIDE_SPOT")[1]
    bought = sim.exchange.place(wake, "bot", "TIDE_SPOT", BUY, best_ask, 1).trades
    assert [(t.volume, t.price) for t in bought] == [(1, best_ask)]
    pnl = sim.settle(london.end_ns)
    assert pnl["bot"]["TIDE_SPOT"] == pytest.approx(london.settlement_values["TIDE_SPOT"] - best_ask)
    assert sim.market_step(london.end_ns) is None
    assert not sim.exchange.engine.resting_order_ids()


def test_market_kind_none_has_no_market(tmp_path):
    session = session_with_market(tmp_path, '[market]\nkind = "none"\n')
    sim = Simulation(session, clock=lambda: 0)
    assert sim.market is None and sim.market_step(session.open_ns) is None and not sim.exchange.log


def test_market_kind_replay_without_a_recording_names_the_field(tmp_path):
    session = session_with_market(tmp_path, '[market]\nkind = "replay"\nrecording = "recording.jsonl"\n')
    with pytest.raises(SessionError, match=r"\[market\]\.recording: .*recording\.jsonl: not a recording"):
        Simulation(session, clock=lambda: 0)


def test_unknown_market_param_names_the_key(tmp_path):
    session = session_with_market(tmp_path, '[market]\nkind = "synthetic"\n[market.params]\nnoise = 3\n')
    with pytest.raises(SessionError, match="noise"):
        Simulation(session, clock=lambda: 0)


def test_market_params_from_the_session_are_used(tmp_path):
    session = session_with_market(
        tmp_path, '[market]\nkind = "synthetic"\n[market.params]\nmakers_per_product = 1\nnoise_traders = 2\n')
    sim = Simulation(session, clock=lambda: 0)
    assert sum(name.startswith("mm-") for name in sim.market.accounts) == 8
    assert sum(name.startswith("noise-") for name in sim.market.accounts) == 2
