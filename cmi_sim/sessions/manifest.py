"""The session manifest (`session.toml`): schema, defaults and validation.

Every table rejects unknown keys, except the free tables `[market.params]` and `[data.notes]`.
Errors are `SessionError`s naming the file and the field, e.g.
`session.toml: [rules].position_limit must be a positive integer, got -3`.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from cmi_sim.settlement import SYMBOLS
from cmi_sim.world.times import MINUTE_NS, parse_utc

MANIFEST = "session.toml"

RULE_DEFAULTS: dict[str, Any] = {
    "position_limit": 100,
    "limit_counts_resting": True,
    "order_volume": "remaining",
    "rate_limit": "report",
    "requests_per_second": 1,
    "self_trade": "allow",
    "mark": "last",
}
_RULE_CHOICES = {
    "order_volume": ("remaining", "original"),
    "rate_limit": ("off", "report", "enforce"),
    "self_trade": ("allow", "prevent"),
    "mark": ("last", "mid"),
}
MARKET_KINDS = ("none", "synthetic", "replay")
DATA_KINDS = ("files", "synthetic")
_TOP_KEYS = {"name", "description", "seed", "window", "trading", "products", "data", "market", "rules"}


class SessionError(ValueError):
    """A session's manifest or data files are broken; the message names the file and the field."""


@dataclass(frozen=True, slots=True)
class Manifest:
    """A validated manifest; paths are resolved against the session directory."""

    name: str
    description: str
    seed: int
    start_ns: int
    end_ns: int
    open_ns: int
    close_ns: int
    products: MappingProxyType[str, int]
    data_kind: str
    data_files: MappingProxyType[str, Path]
    data_seed: int | None
    tide_publication_lag_ns: int
    notes: MappingProxyType[str, str]
    market: MappingProxyType[str, Any]
    rules: MappingProxyType[str, Any]


class _Checker:
    def __init__(self, file: str) -> None:
        self.file = file

    def fail(self, field: str, message: str) -> SessionError:
        return SessionError(f"{self.file}: {field} {message}")

    def table(self, doc: dict[str, Any], key: str, required: bool = True) -> dict[str, Any]:
        value = doc.get(key)
        if value is None and not required:
            return {}
        if not isinstance(value, dict):
            raise self.fail(f"[{key}]", "must be a table" + ("" if value is None else f", got {value!r}"))
        return value

    def only(self, table: dict[str, Any], allowed: set[str], where: str) -> None:
        unknown = sorted(set(table) - allowed)
        if unknown:
            raise self.fail(where, f"has unknown key(s): {', '.join(unknown)} (allowed: {', '.join(sorted(allowed))})")

    def string(self, table: dict[str, Any], key: str, where: str, default: str | None = None) -> str:
        value = table.get(key, default)
        if not isinstance(value, str) or not value:
            raise self.fail(f"{where}{key}", f"must be a non-empty string, got {value!r}")
        return value

    def integer(self, table: dict[str, Any], key: str, where: str, default: int | None = None, minimum: int = 0) -> int:
        value = table.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            kind = "a positive integer" if minimum > 0 else "a non-negative integer"
            raise self.fail(f"{where}{key}", f"must be {kind}, got {value!r}")
        return value

    def time(self, table: dict[str, Any], key: str, where: str) -> int:
        value = table.get(key)
        if not isinstance(value, str) or not value.endswith("Z"):
            raise self.fail(f"{where}{key}", f"must be an ISO UTC time like \"2026-02-28T12:00:00Z\", got {value!r}")
        try:
            return parse_utc(value)
        except ValueError:
            raise self.fail(f"{where}{key}", f"must be an ISO UTC time, got {value!r}") from None


def read_manifest(directory: Path) -> Manifest:
    path = directory / MANIFEST
    if not path.is_file():
        raise SessionError(f"{MANIFEST}: not found in {directory}")
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as e:
        raise SessionError(f"{MANIFEST}: not valid TOML ({e})") from None
    return validate(doc, directory)


def validate(doc: dict[str, Any], directory: Path) -> Manifest:
    c = _Checker(MANIFEST)
    c.only(doc, _TOP_KEYS, "the top level")
    name = c.string(doc, "name", "")
    description = c.string(doc, "description", "", default="")
    seed = c.integer(doc, "seed", "", default=0)

    window = c.table(doc, "window")
    c.only(window, {"start", "end"}, "[window]")
    start, end = c.time(window, "start", "[window]."), c.time(window, "end", "[window].")
    if end <= start or (end - start) % (30 * MINUTE_NS):
        raise c.fail("[window].end", "must be after [window].start by a whole number of half-hours")

    trading = c.table(doc, "trading")
    c.only(trading, {"open", "close"}, "[trading]")
    open_ns, close_ns = c.time(trading, "open", "[trading]."), c.time(trading, "close", "[trading].")
    if not open_ns < close_ns <= end:
        raise c.fail("[trading].close", "must be after [trading].open and not after [window].end (settlement)")

    products_table = c.table(doc, "products")
    c.only(products_table, set(SYMBOLS), "[products]")
    products = {s: c.integer(products_table, s, "[products].", minimum=1) for s in SYMBOLS}

    data = c.table(doc, "data")
    c.only(data, {"kind", "tide", "weather", "flights", "seed", "tide_publication_lag_minutes", "notes"}, "[data]")
    kind = c.string(data, "kind", "[data].")
    if kind not in DATA_KINDS:
        raise c.fail("[data].kind", f"must be one of {', '.join(DATA_KINDS)}, got {kind!r}")
    files: dict[str, Path] = {}
    if kind == "files":
        for key in ("tide", "weather", "flights"):
            files[key] = directory / c.string(data, key, "[data].")
    elif set(data) & {"tide", "weather", "flights"}:
        raise c.fail("[data]", "kind = \"synthetic\" takes no data files")
    data_seed = c.integer(data, "seed", "[data].") if "seed" in data else None
    lag = c.integer(data, "tide_publication_lag_minutes", "[data].", default=0)
    notes = data.get("notes", {})
    if not isinstance(notes, dict) or not all(isinstance(v, str) for v in notes.values()):
        raise c.fail("[data.notes]", "must be a table of strings")

    market = dict(c.table(doc, "market", required=False)) or {"kind": "none"}
    c.only(market, {"kind", "seed", "params", "recording"}, "[market]")
    market_kind = c.string(market, "kind", "[market].")
    if market_kind not in MARKET_KINDS:
        raise c.fail("[market].kind", f"must be one of {', '.join(MARKET_KINDS)}, got {market_kind!r}")
    if "seed" in market:
        c.integer(market, "seed", "[market].")
    if not isinstance(market.setdefault("params", {}), dict):
        raise c.fail("[market].params", "must be a table")
    if "recording" in market:
        recording = directory / c.string(market, "recording", "[market].")
        if not recording.exists():
            raise c.fail("[market].recording", f"names a file that does not exist: {recording}")
        market["recording"] = str(recording)
    elif market_kind == "replay":
        raise c.fail("[market].recording", "is required when [market].kind = \"replay\"")

    rules_table = c.table(doc, "rules", required=False)
    c.only(rules_table, set(RULE_DEFAULTS), "[rules]")
    rules = RULE_DEFAULTS | rules_table
    c.integer(rules, "position_limit", "[rules].", minimum=1)
    c.integer(rules, "requests_per_second", "[rules].", minimum=1)
    if not isinstance(rules["limit_counts_resting"], bool):
        raise c.fail("[rules].limit_counts_resting", f"must be true or false, got {rules['limit_counts_resting']!r}")
    for key, choices in _RULE_CHOICES.items():
        if rules[key] not in choices:
            raise c.fail(f"[rules].{key}", f"must be one of {', '.join(choices)}, got {rules[key]!r}")

    return Manifest(
        name=name,
        description=description,
        seed=seed,
        start_ns=start,
        end_ns=end,
        open_ns=open_ns,
        close_ns=close_ns,
        products=MappingProxyType(products),
        data_kind=kind,
        data_files=MappingProxyType(files),
        data_seed=data_seed,
        tide_publication_lag_ns=lag * MINUTE_NS,
        notes=MappingProxyType(dict(notes)),
        market=MappingProxyType(market),
        rules=MappingProxyType(dict(rules)),
    )
