"""AeroDataBox airport departures and arrivals (FIDS) for Heathrow, as of a moment.

"As of now" model (the world stores each flight's final times; what was known earlier is derived):
* A flight is listed when its scheduled time, or its revised time once known, falls in the range.
* The revised time is known from `REVISION_KNOWN_NS` (3 h) before the earlier of scheduled and revised
  time; before that a flight shows its scheduled time only.
* A flight whose movement time is after `now` has not moved: arrivals are `Expected`; departures are
  `Expected`, then `Boarding` (from 45 min before), then `GateClosed` (from 15 min before); no
  `runwayTime`. Once moved it is `Arrived`/`Departed`, with its runway time if the source had one.
* A cancellation is known from 3 h before the scheduled time (`Canceled`), `Expected` before.
* Query options as AeroDataBox documents them: `direction` (Both, Arrival, Departure), `withLeg`
  (departure and arrival instead of movement), `withCancelled`, `withCodeshared`, `withCargo`,
  `withPrivate`, `withLocation` (true/false; anything else is a 400 naming it), `offsetMinutes` and
  `durationMinutes` for the relative endpoint; ranges up to 12 hours.
* Airline names come from the flight number's prefix; the other airport is not in the data and is a
  stable placeholder chosen from the flight number (modelled).
"""

from __future__ import annotations

import zlib
from datetime import datetime
from zoneinfo import ZoneInfo

from cmi_sim.world.reply import DataReply
from cmi_sim.world.series import Flight, FlightList
from cmi_sim.world.times import HOUR_NS, MINUTE_NS, from_datetime, to_datetime

HOST = "aerodatabox.p.rapidapi.com"
LHR_CODES = {("iata", "LHR"), ("icao", "EGLL")}
LONDON = ZoneInfo("Europe/London")
MAX_RANGE_NS = 12 * HOUR_NS
REVISION_KNOWN_NS = 3 * HOUR_NS
BOARDING_NS = 45 * MINUTE_NS
GATE_CLOSED_NS = 15 * MINUTE_NS

_AIRLINES = {
    "BA": ("British Airways", "BAW"), "VS": ("Virgin Atlantic", "VIR"), "AA": ("American Airlines", "AAL"),
    "UA": ("United", "UAL"), "DL": ("Delta Air Lines", "DAL"), "LH": ("Lufthansa", "DLH"),
    "AF": ("Air France", "AFR"), "KL": ("KLM", "KLM"), "EI": ("Aer Lingus", "EIN"), "IB": ("Iberia", "IBE"),
    "QR": ("Qatar Airways", "QTR"), "EK": ("Emirates", "UAE"), "EY": ("Etihad", "ETD"), "AC": ("Air Canada", "ACA"),
    "SK": ("SAS", "SAS"), "LX": ("Swiss", "SWR"), "TK": ("Turkish Airlines", "THY"), "AY": ("Finnair", "FIN"),
    "SQ": ("Singapore Airlines", "SIA"), "AI": ("Air India", "AIC"), "CX": ("Cathay Pacific", "CPA"),
}
_AIRPORTS = (
    ("KJFK", "JFK", "New York", "America/New_York"), ("LFPG", "CDG", "Paris", "Europe/Paris"),
    ("EHAM", "AMS", "Amsterdam", "Europe/Amsterdam"), ("EDDF", "FRA", "Frankfurt-am-Main", "Europe/Berlin"),
    ("OMDB", "DXB", "Dubai", "Asia/Dubai"), ("EIDW", "DUB", "Dublin", "Europe/Dublin"),
    ("LEMD", "MAD", "Madrid", "Europe/Madrid"), ("OTHH", "DOH", "Doha", "Asia/Qatar"),
    ("KORD", "ORD", "Chicago", "America/Chicago"), ("EGPH", "EDI", "Edinburgh", "Europe/London"),
    ("LSZH", "ZRH", "Zurich", "Europe/Zurich"), ("WSSS", "SIN", "Singapore", "Asia/Singapore"),
)


def _time(t_ns: int) -> dict[str, str]:
    utc = to_datetime(t_ns)
    local = to_datetime(t_ns, LONDON)
    offset = local.strftime("%z")
    return {"utc": utc.strftime("%Y-%m-%d %H:%MZ"), "local": local.strftime("%Y-%m-%d %H:%M") + f"{offset[:3]}:{offset[3:]}"}


def _revision_known(f: Flight, now_ns: int) -> bool:
    if f.revised_ns is None:
        return False
    return now_ns >= min(f.shown_scheduled_ns, f.revised_ns) - REVISION_KNOWN_NS


def status_as_of(f: Flight, now_ns: int) -> str:
    if f.cancelled:
        return "Canceled" if now_ns >= f.shown_scheduled_ns - REVISION_KNOWN_NS else "Expected"
    to_go = f.movement_ns - now_ns
    if to_go <= 0:
        return "Arrived" if f.direction == "arr" else "Departed"
    if f.direction == "dep" and to_go <= GATE_CLOSED_NS:
        return "GateClosed"
    if f.direction == "dep" and to_go <= BOARDING_NS:
        return "Boarding"
    return "Expected"


def movement_as_of(f: Flight, now_ns: int) -> dict[str, object]:
    """One FIDS entry as AeroDataBox would have shown it at `now_ns`."""
    icao, iata, name, tz = _AIRPORTS[zlib.crc32(f.number.encode()) % len(_AIRPORTS)]
    movement: dict[str, object] = {
        "airport": {"icao": icao, "iata": iata, "name": name, "timeZone": tz},
        "scheduledTime": _time(f.shown_scheduled_ns),
    }
    if _revision_known(f, now_ns):
        assert f.revised_ns is not None
        movement["revisedTime"] = _time(f.revised_ns)
    moved = not f.cancelled and f.movement_ns <= now_ns
    if moved and f.runway_ns is not None and f.runway_ns <= now_ns:
        movement["runwayTime"] = _time(f.runway_ns)
    movement["quality"] = ["Basic", "Live"] if now_ns >= f.shown_scheduled_ns - REVISION_KNOWN_NS else ["Basic"]
    prefix = f.number.split(" ")[0]
    airline_name, airline_icao = _AIRLINES.get(prefix, (prefix, prefix))
    return {
        "movement": movement,
        "number": f.number,
        "status": status_as_of(f, now_ns),
        "codeshareStatus": f.codeshare_status,
        "isCargo": bool(f.is_cargo),
        "airline": {"name": airline_name, "iata": prefix, "icao": airline_icao},
    }


def _listed(f: Flight, lo: int, hi: int, now_ns: int) -> bool:
    if lo <= f.shown_scheduled_ns <= hi:
        return True
    return _revision_known(f, now_ns) and f.revised_ns is not None and lo <= f.revised_ns <= hi


LHR_AIRPORT = {"icao": "EGLL", "iata": "LHR", "name": "London", "shortName": "Heathrow", "timeZone": "Europe/London"}
#: boolean options and their defaults, as AeroDataBox documents them for the airport FIDS endpoints
#: (withPrivate and withLocation are accepted: the session has no private flights and no positions)
BOOL_OPTIONS = {"withLeg": False, "withCancelled": True, "withCodeshared": True, "withCargo": True,
                "withPrivate": True, "withLocation": False}


def _bool(params: dict[str, str], name: str) -> bool:
    text = params.get(name)
    if text is None or text == "":
        return BOOL_OPTIONS[name]
    if text.lower() not in ("true", "false"):
        raise ValueError(f"The value '{text}' is not valid for {name}.")
    return text.lower() == "true"


def with_leg(entry: dict[str, object], direction: str) -> dict[str, object]:
    """The `withLeg=true` shape: the flight's `departure` and `arrival` instead of `movement`. Heathrow's
    side carries the movement; the other airport's times are not in the session's data."""
    movement = dict(entry["movement"])  # type: ignore[arg-type]
    other = {"airport": movement.pop("airport"), "quality": []}
    here = {"airport": LHR_AIRPORT} | movement
    legs = {"departure": here, "arrival": other} if direction == "dep" else {"departure": other, "arrival": here}
    return legs | {k: v for k, v in entry.items() if k != "movement"}


def fids(flights: FlightList, lo_ns: int, hi_ns: int, params: dict[str, str], now_ns: int) -> DataReply:
    direction = params.get("direction", "Both")
    if direction not in ("Both", "Arrival", "Departure"):
        return DataReply(400, {"message": f"The value '{direction}' is not valid for direction."})
    try:
        options = {name: _bool(params, name) for name in BOOL_OPTIONS}
    except ValueError as error:
        return DataReply(400, {"message": str(error)})
    with_cancelled, with_codeshared, with_cargo = (options["withCancelled"], options["withCodeshared"],
                                                   options["withCargo"])
    body: dict[str, list[dict[str, object]]] = {}
    for key, code in (("departures", "dep"), ("arrivals", "arr")):
        if direction != "Both" and (direction == "Arrival") != (code == "arr"):
            continue
        chosen = [
            f
            for f in flights.flights
            if f.direction == code
            and _listed(f, lo_ns, hi_ns, now_ns)
            and (with_cancelled or status_as_of(f, now_ns) != "Canceled")
            and (with_codeshared or f.codeshare_status == "IsOperator")
            and (with_cargo or not f.is_cargo)
        ]
        chosen.sort(key=lambda f: (f.shown_scheduled_ns, f.number))
        entries = [movement_as_of(f, now_ns) for f in chosen]
        body[key] = [with_leg(e, code) for e in entries] if options["withLeg"] else entries
    return DataReply(200, body)


def _parse_local(text: str) -> int:
    dt = datetime.fromisoformat(text)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=LONDON)
    return from_datetime(dt)


def airport_flights(flights: FlightList, parts: list[str], params: dict[str, str], now_ns: int) -> DataReply:
    """`parts` = path after /flights/airports/: [codeType, code] or [codeType, code, fromLocal, toLocal]."""
    if len(parts) not in (2, 4) or (parts[0].lower(), parts[1].upper()) not in LHR_CODES:
        return DataReply(404, {"message": "Airport not found or not supported by this simulator (LHR only)."})
    try:
        if len(parts) == 4:
            lo, hi = _parse_local(parts[2]), _parse_local(parts[3])
        else:
            offset = int(params.get("offsetMinutes", -120))
            duration = int(params.get("durationMinutes", 720))
            if not -1440 <= offset <= 1440 or duration <= 0:
                return DataReply(400, {"message": "offsetMinutes must be within [-1440, 1440] and durationMinutes positive."})
            lo = now_ns + offset * MINUTE_NS
            hi = lo + duration * MINUTE_NS
    except ValueError as e:
        return DataReply(400, {"message": f"Invalid request parameter: {e}"})
    if not 0 < hi - lo <= MAX_RANGE_NS:
        return DataReply(400, {"message": "The time range must be more than 0 and must not exceed 12 hours."})
    return fids(flights, lo, hi, params, now_ns)

