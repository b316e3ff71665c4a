"""Reading the world's data files (the formats of shared/data: thames.csv, weather.csv, flights.json)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from cmi_sim.world.series import Flight
from cmi_sim.world.times import parse_utc


class DataFileError(ValueError):
    """A data file is missing or malformed; the message names the file, the row and the field."""


def _utc(path: Path, where: str, field: str, text: object) -> int:
    if not isinstance(text, str):
        raise DataFileError(f"{path.name}: {where}: {field} must be an ISO UTC time, got {text!r}")
    try:
        return parse_utc(text)
    except ValueError:
        raise DataFileError(f"{path.name}: {where}: {field} must be an ISO UTC time, got {text!r}") from None


def _number(path: Path, where: str, field: str, text: object) -> float:
    try:
        return float(text)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise DataFileError(f"{path.name}: {where}: {field} must be a number, got {text!r}") from None


def _rows(path: Path, columns: tuple[str, ...]) -> list[dict[str, str]]:
    if not path.is_file():
        raise DataFileError(f"{path.name}: file not found ({path})")
    with path.open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        missing = [c for c in columns if c not in (reader.fieldnames or [])]
        if missing:
            raise DataFileError(f"{path.name}: missing column(s) {', '.join(missing)}")
        return list(reader)


def read_tide_csv(path: Path) -> dict[int, float]:
    """`time_utc,level_maod` -> {time ns: level m}."""
    out: dict[int, float] = {}
    for line, row in enumerate(_rows(path, ("time_utc", "level_maod")), start=2):
        t = _utc(path, f"line {line}", "time_utc", row["time_utc"])
        if t in out:
            raise DataFileError(f"{path.name}: line {line}: time_utc {row['time_utc']} appears twice")
        out[t] = _number(path, f"line {line}", "level_maod", row["level_maod"])
    return out


def read_weather_csv(path: Path) -> dict[int, tuple[float, float]]:
    """`time_utc,temperature_c,relative_humidity_pct` -> {time ns: (C, %)}."""
    out: dict[int, tuple[float, float]] = {}
    for line, row in enumerate(_rows(path, ("time_utc", "temperature_c", "relative_humidity_pct")), start=2):
        where = f"line {line}"
        t = _utc(path, where, "time_utc", row["time_utc"])
        rh = _number(path, where, "relative_humidity_pct", row["relative_humidity_pct"])
        if not 0 <= rh <= 100:
            raise DataFileError(f"{path.name}: {where}: relative_humidity_pct must be 0..100, got {rh}")
        out[t] = (_number(path, where, "temperature_c", row["temperature_c"]), rh)
    return out


def read_flights_json(path: Path) -> tuple[Flight, ...]:
    """A JSON list of records: direction, number, scheduled_utc, revised_utc, runway_utc, status,
    isCargo, codeshareStatus (extra keys such as source or note are ignored)."""
    if not path.is_file():
        raise DataFileError(f"{path.name}: file not found ({path})")
    try:
        records = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise DataFileError(f"{path.name}: not valid JSON ({e})") from None
    if not isinstance(records, list):
        raise DataFileError(f"{path.name}: must hold a JSON list of flight records")
    flights = []
    for i, r in enumerate(records):
        where = f"record {i}"
        if not isinstance(r, dict):
            raise DataFileError(f"{path.name}: {where}: must be an object")
        if r.get("direction") not in ("arr", "dep"):
            raise DataFileError(f"{path.name}: {where}: direction must be 'arr' or 'dep', got {r.get('direction')!r}")
        if not isinstance(r.get("number"), str):
            raise DataFileError(f"{path.name}: {where}: number must be a string, got {r.get('number')!r}")
        times = {
            k: None if r.get(k) is None else _utc(path, where, k, r[k])
            for k in ("scheduled_utc", "revised_utc", "runway_utc")
        }
        if times["scheduled_utc"] is None and times["revised_utc"] is None:
            raise DataFileError(f"{path.name}: {where}: needs scheduled_utc or revised_utc")
        flights.append(
            Flight(
                direction=r["direction"],
                number=r["number"],
                scheduled_ns=times["scheduled_utc"],
                revised_ns=times["revised_utc"],
                runway_ns=times["runway_utc"],
                status=str(r.get("status") or "Unknown"),
                is_cargo=r.get("isCargo"),
                codeshare_status=str(r.get("codeshareStatus") or "IsOperator"),
            )
        )
    return tuple(flights)
