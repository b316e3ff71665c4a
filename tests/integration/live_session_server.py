"""A `serve --session` server in a thread on 127.0.0.1 (port 0): the LiveSession, its door, its market."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from pathlib import Path

from cmi_sim.api.app import create_app
from cmi_sim.api.server import ExchangeServer
from cmi_sim.exchange import Accounts, ExchangeRules, TradingHours
from cmi_sim.live.door import attach_live_door
from cmi_sim.live.proxy import ForwardProxy, proxy_for, serve_proxy
from cmi_sim.live.session_run import LiveSession
from cmi_sim.sessions import load_session


@dataclass
class SessionServer:
    url: str
    server: ExchangeServer
    live: LiveSession
    proxy: ForwardProxy | None = None

    @property
    def proxy_url(self) -> str:
        assert self.proxy is not None and self.proxy.port is not None
        return f"http://127.0.0.1:{self.proxy.port}"


def start_session_server(name: str = "london-2026-02-28", speed: float = 60.0, ca_dir: Path | None = None,
                         exchange_hosts: frozenset[str] = frozenset()) -> SessionServer:
    """With `ca_dir`, also the HTTP(S) forward proxy (its certificate authority kept there)."""
    session = load_session(name)
    rules = ExchangeRules.from_mapping(dict(session.rules) | {"rate_limit": "off"})
    hours = TradingHours(session.open_ns, session.close_ns)
    live = LiveSession(session, rules, hours, Accounts(rng=random.Random(0)), speed=speed)
    server = ExchangeServer(create_app(live.service), background=[lambda: live.run_market(print, print)])
    attach_live_door(server, live, exchange_hosts)
    proxy = None
    if ca_dir is not None:
        proxy = proxy_for(server, ca_dir, exchange_hosts)
        server.background += (lambda: serve_proxy(server, proxy, 0, lambda text: None),)
    url = server.start_in_thread()
    deadline = time.monotonic() + 10
    while proxy is not None and proxy.port is None and time.monotonic() < deadline:
        time.sleep(0.01)
    return SessionServer(url, server, live, proxy)
