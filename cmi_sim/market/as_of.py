"""What the session's data APIs had published by a moment: the only door from the world to the market.

The market's fair values are estimated from these views alone, with the same publication rules the bots'
data APIs apply (cmi_sim.world): a tide reading taken at T appears at T + lag; weather beyond `now` is
the forecast of the latest issue; a flight shows its revised time from 3 hours before it moves, moves at
its movement time, and shows a cancellation from 3 hours before its scheduled time. Nothing else of the
world (in particular not the settlement values) reaches the market.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from cmi_sim.world.aerodatabox import REVISION_KNOWN_NS
from cmi_sim.world.forecast import value_as_of
from cmi_sim.world.series import World


@dataclass(frozen=True)
class FlightsAsOf:
    """Every listed flight as known at one moment (arrays of equal length)."""

    is_arrival: np.ndarray  # bool
    expected_ns: np.ndarray  # int64: the revised time once known, else the scheduled time
    revised: np.ndarray  # bool: its revised time is shown (so its time is firm)
    moved: np.ndarray  # bool: arrived or departed by now (its time is then final)
    cancelled: np.ndarray  # bool: shown as cancelled by now


class AsOfData(Protocol):
    def tide_readings(self, now_ns: int) -> tuple[np.ndarray, np.ndarray]:
        """(times ns, levels m) of the readings published by `now_ns`, oldest first."""
        ...

    def weather(self, variable: str, targets_ns: np.ndarray, now_ns: int) -> np.ndarray:
        """Open-Meteo's value of `variable` at each target as of `now_ns` (truth if past, else forecast)."""
        ...

    def flights(self, now_ns: int) -> FlightsAsOf: ...


class WorldAsOf:
    """`AsOfData` answered from a session's world, exactly as its data APIs would answer at `now_ns`."""

    def __init__(self, world: World, tide_publication_lag_ns: int) -> None:
        self.world = world
        self.lag_ns = tide_publication_lag_ns
        tide = world.tide
        self._tide_times = tide.start_ns + np.arange(len(tide.levels_m), dtype=np.int64) * tide.step_ns
        self._tide_levels = np.asarray(tide.levels_m, dtype=float)
        flights = world.flights.flights
        self._arrival = np.array([f.direction == "arr" for f in flights], dtype=bool)
        self._scheduled = np.array([f.shown_scheduled_ns for f in flights], dtype=np.int64)
        self._movement = np.array([f.movement_ns for f in flights], dtype=np.int64)
        revised = np.array([f.revised_ns is not None for f in flights], dtype=bool)
        # The revised time is shown from 3 h before the earlier of the scheduled and revised times.
        self._revision_from = np.where(revised, np.minimum(self._scheduled, self._movement) - REVISION_KNOWN_NS,
                                       np.iinfo(np.int64).max)
        self._is_cancelled = np.array([f.cancelled for f in flights], dtype=bool)
        self._cancel_from = self._scheduled - REVISION_KNOWN_NS

    def tide_readings(self, now_ns: int) -> tuple[np.ndarray, np.ndarray]:
        count = int(np.searchsorted(self._tide_times, now_ns - self.lag_ns, side="right"))
        return self._tide_times[:count], self._tide_levels[:count]

    def weather(self, variable: str, targets_ns: np.ndarray, now_ns: int) -> np.ndarray:
        values = [value_as_of(self.world.weather, variable, int(t), now_ns, self.world.seed) for t in targets_ns]
        return np.array([np.nan if v is None else v for v in values], dtype=float)

    def flights(self, now_ns: int) -> FlightsAsOf:
        cancelled = self._is_cancelled & (now_ns >= self._cancel_from)
        known = now_ns >= self._revision_from
        moved = ~self._is_cancelled & (self._movement <= now_ns)
        expected = np.where(known | moved, self._movement, self._scheduled)
        return FlightsAsOf(self._arrival, expected, known, moved, cancelled)
