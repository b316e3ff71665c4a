"""The world's data: tide readings, weather points and flight movements, plus what is real or modelled.

Tide and weather are regular 15-minute grids (O(1) lookups); flights are a tuple of records.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Literal

from cmi_sim.settlement import movement_time_ns
from cmi_sim.world.times import STEP_NS, iso_z

Provenance = Literal["real", "modelled"]

# Open-Meteo variables the world can serve, with units and the precision the source reports.
WEATHER_VARIABLES: dict[str, tuple[str, int]] = {
    "temperature_2m": ("°C", 1),
    "relative_humidity_2m": ("%", 0),
    "apparent_temperature": ("°C", 1),
    "precipitation": ("mm", 1),
    "wind_speed_10m": ("km/h", 1),
    "cloud_cover": ("%", 0),
    "visibility": ("m", 0),
}


@dataclass(frozen=True, slots=True)
class Coverage:
    """A stretch `[start_ns, end_ns]` (inclusive) of one series and where its values come from."""

    series: str
    start_ns: int
    end_ns: int
    provenance: Provenance
    note: str = ""

    def describe(self) -> str:
        return f"{self.series}: {self.provenance} {iso_z(self.start_ns)} -> {iso_z(self.end_ns)} {self.note}".strip()


@dataclass(frozen=True, slots=True)
class TideSeries:
    """Tidal level in metres AOD every 15 minutes from `start_ns`."""

    start_ns: int
    levels_m: tuple[float, ...]
    step_ns: int = STEP_NS

    @property
    def end_ns(self) -> int:
        """The last reading's time."""
        return self.start_ns + (len(self.levels_m) - 1) * self.step_ns

    def index(self, t_ns: int) -> int | None:
        offset = t_ns - self.start_ns
        if offset % self.step_ns or not 0 <= offset <= (len(self.levels_m) - 1) * self.step_ns:
            return None
        return offset // self.step_ns

    def level_at(self, t_ns: int) -> float | None:
        i = self.index(t_ns)
        return None if i is None else self.levels_m[i]

    def readings(self) -> Iterator[tuple[int, float]]:
        for i, v in enumerate(self.levels_m):
            yield self.start_ns + i * self.step_ns, v


@dataclass(frozen=True, slots=True)
class WeatherSeries:
    """Weather variables every 15 minutes from `start_ns`; every variable of WEATHER_VARIABLES present."""

    start_ns: int
    values: Mapping[str, tuple[float, ...]]
    step_ns: int = STEP_NS

    def __post_init__(self) -> None:
        lengths = {len(v) for v in self.values.values()}
        missing = set(WEATHER_VARIABLES) - set(self.values)
        if len(lengths) != 1 or missing:
            raise ValueError(f"weather series needs equal-length {sorted(WEATHER_VARIABLES)}; missing {sorted(missing)}")

    def __len__(self) -> int:
        return len(self.values["temperature_2m"])

    @property
    def end_ns(self) -> int:
        return self.start_ns + (len(self) - 1) * self.step_ns

    def index(self, t_ns: int) -> int | None:
        offset = t_ns - self.start_ns
        if offset % self.step_ns or not 0 <= offset <= (len(self) - 1) * self.step_ns:
            return None
        return offset // self.step_ns

    def value(self, variable: str, t_ns: int) -> float | None:
        i = self.index(t_ns)
        return None if i is None else self.values[variable][i]

    def temp_rh_at(self, t_ns: int) -> tuple[float, float] | None:
        i = self.index(t_ns)
        if i is None:
            return None
        return self.values["temperature_2m"][i], self.values["relative_humidity_2m"][i]


@dataclass(frozen=True, slots=True)
class Flight:
    """One Heathrow movement as finally known (the truth the world replays "as of now").

    `status` is the last status known in the source; "as of now" statuses are derived from the times.
    """

    direction: Literal["arr", "dep"]
    number: str
    scheduled_ns: int | None
    revised_ns: int | None
    runway_ns: int | None
    status: str
    is_cargo: bool | None
    codeshare_status: str

    @property
    def cancelled(self) -> bool:
        return self.status in ("Canceled", "Cancelled")

    @property
    def movement_ns(self) -> int:
        return movement_time_ns(self.scheduled_ns, self.revised_ns)

    @property
    def shown_scheduled_ns(self) -> int:
        """AeroDataBox always has a scheduled time; records without one show their revised time."""
        return self.scheduled_ns if self.scheduled_ns is not None else self.movement_ns


@dataclass(frozen=True, slots=True)
class FlightList:
    flights: tuple[Flight, ...]

    def movements(self) -> Iterator[tuple[str, int]]:
        """(direction, movement time) of every flight that moves (cancellations excluded)."""
        for f in self.flights:
            if not f.cancelled:
                yield f.direction, f.movement_ns


@dataclass(frozen=True, slots=True)
class World:
    """All the data a session settles on and serves, with provenance per stretch."""

    tide: TideSeries
    weather: WeatherSeries
    flights: FlightList
    seed: int
    coverage: tuple[Coverage, ...] = field(default=())


def runs(flags: tuple[bool, ...] | list[bool], start_ns: int, step_ns: int) -> Iterator[tuple[int, int, bool]]:
    """Maximal runs of equal flags as (first time, last time, flag): used to build Coverage."""
    i = 0
    while i < len(flags):
        j = i
        while j + 1 < len(flags) and flags[j + 1] == flags[i]:
            j += 1
        yield start_ns + i * step_ns, start_ns + j * step_ns, flags[i]
        i = j + 1
