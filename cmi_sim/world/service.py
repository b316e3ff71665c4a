"""WorldDataService: the three external data APIs answered from a session's world, as of a moment.

The backtester routes every request whose host is in `HOSTS` to `handle`, passing the virtual clock's
current moment. Nothing observed after `now_ns` leaks: readings are published after `now` only,
weather beyond `now` is a forecast, flights after `now` have not moved.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import unquote, urlsplit

from cmi_sim.world import aerodatabox, environment_agency, open_meteo
from cmi_sim.world.reply import DataReply, header, query_params
from cmi_sim.world.series import World

HOSTS: frozenset[str] = frozenset({environment_agency.HOST, open_meteo.HOST, aerodatabox.HOST})
DEFAULT_TIDE_LAG_NS = 0


class WorldDataService:
    """Answers Environment Agency, Open-Meteo and AeroDataBox requests from `world`.

    `tide_publication_lag_ns`: a tide reading taken at T is served from T + lag (live: ~20-45 min).
    `require_rapidapi_key`: answer 401 like RapidAPI when the `x-rapidapi-key` header is missing.
    """

    hosts: frozenset[str] = HOSTS

    def __init__(self, world: World, *, tide_publication_lag_ns: int = DEFAULT_TIDE_LAG_NS, require_rapidapi_key: bool = True) -> None:
        if tide_publication_lag_ns < 0:
            raise ValueError("tide_publication_lag_ns must be >= 0")
        self.world = world
        self.tide_publication_lag_ns = tide_publication_lag_ns
        self.require_rapidapi_key = require_rapidapi_key

    def handle(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str] | None = None,
        body: bytes | None = None,
        *,
        now_ns: int,
    ) -> DataReply:
        """Route one request. Returns DataReply(status, json_body); unknown paths on our hosts get 404."""
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        path = unquote(parts.path).rstrip("/")
        params = query_params(parts.query)
        if host not in HOSTS:
            return DataReply(502, {"message": f"host {host!r} is not served by the simulator's world data"})
        if method.upper() != "GET":
            return DataReply(405, {"message": f"method {method.upper()} not allowed"})
        if host == environment_agency.HOST:
            if path.removesuffix(".json") in environment_agency.PATHS:
                return environment_agency.readings(self.world.tide, params, now_ns, self.tide_publication_lag_ns)
        elif host == open_meteo.HOST:
            if path == open_meteo.PATH:
                return open_meteo.forecast(self.world.weather, params, now_ns, self.world.seed)
        elif host == aerodatabox.HOST:
            if self.require_rapidapi_key and not header(headers, "x-rapidapi-key"):
                return DataReply(401, {"message": "Invalid API key. Go to https://docs.rapidapi.com/docs/keys for more info."})
            prefix = "/flights/airports/"
            if path.startswith(prefix):
                return aerodatabox.airport_flights(self.world.flights, path[len(prefix):].split("/"), params, now_ns)
        return DataReply(404, {"message": f"no such endpoint: {path or '/'}"})

