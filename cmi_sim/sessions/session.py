"""A loaded session: manifest + world + settlement values computed from the world's data."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from types import MappingProxyType
from typing import Any

from cmi_sim.sessions.manifest import MANIFEST, Manifest, SessionError, read_manifest
from cmi_sim.settlement import SettlementError, settle
from cmi_sim.world import (
    Coverage,
    DataFileError,
    World,
    WorldDataService,
    read_flights_json,
    read_tide_csv,
    read_weather_csv,
    synthetic_world,
    world_from_data,
)

DEFAULT_SESSION = "london-2026-02-28"


@dataclass(frozen=True)
class Session:
    """Everything a run needs besides the bot. Times are integer UTC nanoseconds.

    `settlement_values` are computed from `world` by cmi_sim.settlement (never typed in).
    `coverage` says which stretch of each series is real and which modelled; `notes` add the
    manifest's provenance remarks per series.
    """

    name: str
    description: str
    path: Path
    start_ns: int
    end_ns: int
    open_ns: int
    close_ns: int
    products: MappingProxyType[str, int]
    rules: MappingProxyType[str, Any]
    market: MappingProxyType[str, Any]
    seed: int
    world: World
    settlement_values: MappingProxyType[str, float]
    tide_publication_lag_ns: int
    notes: MappingProxyType[str, str]

    @property
    def coverage(self) -> tuple[Coverage, ...]:
        return self.world.coverage

    def data_service(self) -> WorldDataService:
        """The data APIs answered from this session's world (pass `now_ns` to each `handle`)."""
        return WorldDataService(self.world, tide_publication_lag_ns=self.tide_publication_lag_ns)


def _builtin_root() -> Path:
    return Path(str(files("cmi_sim.sessions") / "builtin"))


@lru_cache(maxsize=1)
def _builtin_dirs() -> dict[str, Path]:
    """Built-in session name -> directory (directories are Python-package names, sessions may use '-')."""
    out: dict[str, Path] = {}
    for directory in sorted(p for p in _builtin_root().iterdir() if (p / MANIFEST).is_file()):
        out[read_manifest(directory).name] = directory
    return out


def list_builtin_sessions() -> list[str]:
    """Names of the sessions shipped with the package, default first."""
    names = sorted(_builtin_dirs())
    return sorted(names, key=lambda n: n != DEFAULT_SESSION)


def _build_world(m: Manifest, seed: int | None) -> World:
    if m.data_kind == "synthetic":
        data_seed = seed if seed is not None else (m.data_seed if m.data_seed is not None else m.seed)
        return synthetic_world(data_seed, m.start_ns, m.end_ns)
    try:
        tide = read_tide_csv(m.data_files["tide"])
        weather = read_weather_csv(m.data_files["weather"])
        flights = read_flights_json(m.data_files["flights"])
        return world_from_data(tide, weather, flights, m.start_ns, m.end_ns, seed if seed is not None else m.seed)
    except DataFileError as e:
        raise SessionError(str(e)) from None


def load_session(name_or_path: str | Path = DEFAULT_SESSION, seed: int | None = None) -> Session:
    """Load a built-in session by name, or a session directory (holding session.toml) by path.

    `seed` overrides the manifest's seed (and, for synthetic data, the data seed: a new day).
    """
    key = str(name_or_path)
    builtin = _builtin_dirs()
    if key in builtin:
        directory = builtin[key]
    else:
        directory = Path(name_or_path)
        if not directory.is_dir():
            known = ", ".join(list_builtin_sessions())
            raise SessionError(f"{key}: no such built-in session ({known}) or session directory")
    m = read_manifest(directory)
    world = _build_world(m, seed)
    try:
        values = settle(world, m.start_ns, m.end_ns)
    except SettlementError as e:
        raise SessionError(f"{directory.name}: cannot settle from the session's data: {e}") from None
    return Session(
        name=m.name,
        description=m.description,
        path=directory,
        start_ns=m.start_ns,
        end_ns=m.end_ns,
        open_ns=m.open_ns,
        close_ns=m.close_ns,
        products=m.products,
        rules=m.rules,
        market=m.market,
        seed=seed if seed is not None else m.seed,
        world=world,
        settlement_values=MappingProxyType(values),
        tide_publication_lag_ns=m.tide_publication_lag_ns,
        notes=m.notes,
    )
