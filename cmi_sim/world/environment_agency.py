"""Environment Agency flood-monitoring readings of the Westminster tide gauge, as of a moment.

Only readings already published at `now` are served: a reading taken at T appears at T + lag
(`publication_lag_ns`; the live service lagged 20-45 min, bots' logs show). Supported, as
https://environment.data.gov.uk/flood-monitoring/doc/reference documents them: `_sorted` (newest
first), `_limit` (default 500, at most 10,000), `_offset` (skip that many, for paging), `since` (a
dateTime), `date`, `today`, `startdate`/`enddate`, `latest`. Without `_sorted` the latest readings come
oldest first (the live order is unspecified). A malformed value gets a 400 that names it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from cmi_sim.world.reply import DataReply
from cmi_sim.world.series import TideSeries
from cmi_sim.world.times import DAY_NS, from_datetime, iso_z, parse_utc

HOST = "environment.data.gov.uk"
MEASURE_ID = "0006-level-tidal_level-i-15_min-mAOD"
STATION_ID = "0006"
MEASURE_URL = f"http://environment.data.gov.uk/flood-monitoring/id/measures/{MEASURE_ID}"
DEFAULT_LIMIT = 500
MAX_LIMIT = 10_000
PATHS = (
    f"/flood-monitoring/id/measures/{MEASURE_ID}/readings",
    f"/flood-monitoring/id/stations/{STATION_ID}/readings",
)


def _meta(limit: int) -> dict[str, object]:
    return {
        "publisher": "Environment Agency",
        "licence": "http://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/",
        "documentation": "http://environment.data.gov.uk/flood-monitoring/doc/reference",
        "version": "0.9",
        "comment": "Status: Beta service",
        "hasFormat": [],
        "limit": limit,
    }


def _day_ns(text: str) -> int:
    d = date.fromisoformat(text)
    return from_datetime(datetime(d.year, d.month, d.day, tzinfo=UTC))


def readings(tide: TideSeries, params: dict[str, str], now_ns: int, publication_lag_ns: int) -> DataReply:
    try:
        limit = int(params.get("_limit", DEFAULT_LIMIT))
        offset = int(params.get("_offset", 0))
        lo, hi = tide.start_ns, now_ns - publication_lag_ns
        if "since" in params:
            lo = max(lo, parse_utc(params["since"]))
        if "date" in params:
            day = _day_ns(params["date"])
            lo, hi = max(lo, day), min(hi, day + DAY_NS - 1)
        if "today" in params:
            day = now_ns - now_ns % DAY_NS
            lo, hi = max(lo, day), min(hi, day + DAY_NS - 1)
        if "startdate" in params:
            lo = max(lo, _day_ns(params["startdate"]))
        if "enddate" in params:
            hi = min(hi, _day_ns(params["enddate"]) + DAY_NS - 1)
    except ValueError as e:
        return DataReply(400, {"error": f"bad request parameter: {e}"})
    if limit < 1:
        return DataReply(400, {"error": "_limit must be a positive integer"})
    if offset < 0:
        return DataReply(400, {"error": "_offset must be a non-negative integer"})
    limit = min(limit, MAX_LIMIT)
    chosen = [(t, v) for t, v in tide.readings() if lo <= t <= hi]
    if "latest" in params:
        chosen = chosen[-1:]
    if "_sorted" in params:
        chosen.reverse()
        chosen = chosen[offset:offset + limit]
    else:  # the most recent `limit` readings (after skipping `offset` from the newest), oldest first
        end = len(chosen) - offset
        chosen = chosen[max(0, end - limit):max(0, end)]
    items = [
        {
            "@id": f"http://environment.data.gov.uk/flood-monitoring/data/readings/{MEASURE_ID}/{iso_z(t).replace(':', '-')}",
            "dateTime": iso_z(t),
            "measure": MEASURE_URL,
            "value": v,
        }
        for t, v in chosen
    ]
    return DataReply(
        200,
        {"@context": "http://environment.data.gov.uk/flood-monitoring/meta/context.jsonld", "meta": _meta(limit), "items": items},
    )
