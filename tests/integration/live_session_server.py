"""A `serve --session` server in a thread on 127.0.0.1 (port 0): the LiveSession, its door, its market."""

from __future__ import annotations

import random
from dataclasses import dataclass

from cmi_sim.api.app import create_app
from cmi_sim.api.server import ExchangeServer
from cmi_sim.exchange import Accounts, ExchangeRules, TradingHours
from cmi_sim.live.door import attach_live_door
from cmi_sim.live.session_run import LiveSession
from cmi_sim.sessions import load_session


@dataclass
class SessionServer:
    url: str
    server: ExchangeServer
    live: LiveSession


def start_session_server(name: str = "london-2026-02-28", speed: float = 60.0) -> SessionServer:
    session = load_session(name)
    rules = ExchangeRules.from_mapping(dict(session.rules) | {"rate_limit": "off"})
    hours = TradingHours(session.open_ns, session.close_ns)
    live = LiveSession(session, rules, hours, Accounts(rng=random.Random(0)), speed=speed)
    server = ExchangeServer(create_app(live.service), background=[lambda: live.run_market(print, print)])
    attach_live_door(server, live)
    return SessionServer(server.start_in_thread(), server, live)
