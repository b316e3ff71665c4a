"""The live server's outer door (ASGI, in front of the exchange's `FrontDoor`): the session clock at
`/cmi-sim/clock`, the three data APIs as of that clock, and the forward-proxy rules.

- `GET /cmi-sim/clock`: the session clock (`clock_info.describe`).
- `/data/<host>/<path>`: the data API of `host` (api.open-meteo.com, environment.data.gov.uk,
  aerodatabox.p.rapidapi.com), answered from the session's world as of the session clock.
- Absolute-form targets (`GET http://host/path`, sent by clients through HTTP_PROXY, and by the HTTPS
  proxy for each request it decrypted): a data host goes to its data API; any host with an `/api/...`
  path goes to the exchange (bots hard-code many exchange hosts, cmi-api.md: route on the path); the
  exchange's own hosts and this server's reach everything else here; any other request is refused
  with a 403 that says what this proxy serves.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from urllib.parse import urlsplit

from cmi_sim.live.clock_info import CLOCK_PATH
from cmi_sim.world.service import HOSTS as DATA_HOSTS

DATA_PREFIX = "/data/"
#: The real exchange's hosts (the challenge's EC2 host, by name and address).
EXCHANGE_HOSTS = frozenset({"ec2-52-49-69-152.eu-west-1.compute.amazonaws.com", "52.49.69.152"})
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "0.0.0.0"})


def refusal_message(host: str) -> str:
    return (f"cmi-sim's proxy refuses {host}: it serves only the exchange and the data APIs "
            f"({', '.join(sorted(DATA_HOSTS))}); point other traffic elsewhere (NO_PROXY)")


class LiveDoor:
    """`inner`: the exchange's ASGI app. `data(method, url, headers, body)` answers a data-API request
    as of the session clock, or is None (a server without a session). `clock_info()` is the clock
    document. `exchange_hosts`: further host names that reach this server through the proxy."""

    def __init__(self, inner, clock_info: Callable[[], dict], data=None,
                 exchange_hosts: frozenset[str] = frozenset()) -> None:
        self.inner = inner
        self.clock_info = clock_info
        self.data = data
        self.own_hosts = EXCHANGE_HOSTS | LOCAL_HOSTS | {h.lower() for h in exchange_hosts}

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.inner(scope, receive, send)
            return
        target = scope["path"]
        if target.startswith(("http://", "https://")):
            parts = urlsplit(target)
            host = (parts.hostname or "").lower()
            if host in DATA_HOSTS:
                await self._data(scope, receive, send, f"https://{host}{parts.path or '/'}")
                return
            path = "/" + parts.path.lstrip("/")
            if not path.startswith("/api/") and host not in self.own_hosts:
                await _json(send, 403, {"message": refusal_message(host)})
                return
            await self.inner(scope, receive, send)
            return
        if target == CLOCK_PATH and scope["method"] == "GET":
            await _json(send, 200, self.clock_info())
            return
        if target.startswith(DATA_PREFIX):
            host, _, rest = target[len(DATA_PREFIX):].partition("/")
            if host.lower() not in DATA_HOSTS:
                await _json(send, 404, {"message": f"no data API for {host!r}: the data APIs here are "
                                                   f"{', '.join(sorted(DATA_HOSTS))}"})
                return
            await self._data(scope, receive, send, f"https://{host.lower()}/{rest}")
            return
        await self.inner(scope, receive, send)

    async def _data(self, scope, receive, send, url: str) -> None:
        body = await _read_body(receive)
        if self.data is None:
            await _json(send, 503, {"message": "this server runs no session, so no data APIs: start it with "
                                               "--session NAME"})
            return
        query = scope["query_string"].decode("latin-1")
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        status, payload = self.data(scope["method"], f"{url}?{query}" if query else url, headers, body)
        await _json(send, status, payload)


async def _read_body(receive) -> bytes:
    chunks, more = [], True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunks.append(message.get("body", b""))
        more = message.get("more_body", False)
    return b"".join(chunks)


async def _json(send, status: int, payload) -> None:
    body = json.dumps(payload).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json; charset=utf-8"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def attach_live_door(server, live=None, exchange_hosts: frozenset[str] = frozenset()) -> LiveDoor:
    """Put a LiveDoor in front of an `ExchangeServer`'s app (before it starts). `live`: the
    `LiveSession` it serves, or None (the wall clock, no data APIs)."""
    from cmi_sim.live.clock_info import wall_clock_info

    if live is None:
        door = LiveDoor(server.config.app, wall_clock_info, None, exchange_hosts)
    else:
        def data(method: str, url: str, headers: dict, body: bytes):
            return live.data.handle(method, url, headers, body, now_ns=live.clock())

        door = LiveDoor(server.config.app, live.clock_info, data, exchange_hosts)
    server.config.app = door
    return door
