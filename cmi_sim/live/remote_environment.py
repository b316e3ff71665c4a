"""The world of `cmi-sim run`: every request of the bot goes over real HTTP to a running `cmi-sim serve`.

`make_environment(ctx)` is the factory the sandbox calls (as `cmi_sim.backtest.adapter.exchange_environment` is for a
backtest). Any `/api/...` request, whatever exchange host the bot has hard-coded, goes to the server's
exchange; a request to a data API's host goes to the server's `/data/<host>/...`, answered there as of
the session clock (which the bot's clocks follow); anything else is refused, as in a backtest.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from cmi_sim.api.paths import normalize_path
from cmi_sim.sandbox.environment import ConnectionRefused, Reply, StreamReply, Environment
from cmi_sim.live.door import DATA_PREFIX
from cmi_sim.live.real_http import RealHttp, RealStream
from cmi_sim.world.service import HOSTS as DATA_HOSTS


def server_target(url: str) -> str | None:
    """The target on the server for a URL the bot asked for, or None (refused)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    query = f"?{parts.query}" if parts.query else ""
    if host in DATA_HOSTS:
        return f"{DATA_PREFIX}{host}{parts.path or '/'}{query}"
    path = normalize_path(parts.path or "/")
    if path.startswith("/api/") or path == "/api":
        return f"{parts.path or '/'}{query}"
    return None


def make_environment(ctx: Any) -> Environment:
    server = urlsplit(ctx.config["exchange"])
    http = RealHttp(server.hostname or "127.0.0.1", server.port or 80, ctx.runtime.loop)
    forwarded: dict[str, int] = {"exchange": 0, "data": 0}

    def router(method: str, url: str, headers: Any, body: bytes | None) -> Reply | StreamReply:
        target = server_target(url)
        if target is None:
            raise ConnectionRefused(url)
        forwarded["data" if target.startswith(DATA_PREFIX) else "exchange"] += 1
        try:
            status, response_headers, payload = http.request(method, target, headers, body)
        except OSError as error:
            raise ConnectionRefused(f"{url} (the server at {ctx.config['exchange']}: {error})") from None
        if isinstance(payload, RealStream):
            return StreamReply(status, response_headers, payload)
        return Reply(status, payload, response_headers)

    return Environment(router, result=lambda: {"exchange": ctx.config["exchange"], "forwarded": dict(forwarded)})
