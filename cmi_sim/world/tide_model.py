"""A harmonic tide model fitted by (ridge-regularised) least squares.

A short record cannot separate constituents whose frequencies differ by less than 1 / record length
(the Rayleigh criterion): 15 hours of Westminster readings cannot tell M2 from S2 or N2, nor K1 from
O1, and a plain least-squares fit of all five explodes (metres of error hours later). So the fit
shrinks the unresolved constituents towards zero with a ridge penalty, and keeps the resolved ones
(M2 and its shallow-water overtides M4, M6, M8, which shape the Thames' long ebb and short flood) free.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cmi_sim.world.times import HOUR_NS

# Angular speeds in degrees per hour (standard values).
SPEEDS_DEG_PER_HOUR: dict[str, float] = {
    "M2": 28.9841042,
    "S2": 30.0,
    "N2": 28.4397295,
    "K1": 15.0410686,
    "O1": 13.9430356,
    "M4": 57.9682084,
    "M6": 86.9523126,
    "M8": 115.9364166,
}
DEFAULT_CONSTITUENTS: tuple[str, ...] = ("M2", "S2", "N2", "K1", "O1", "M4", "M6", "M8")
# Priority order for the Rayleigh test: a constituent is resolved only if it is separable from every
# resolved constituent before it in this order.
_PRIORITY: tuple[str, ...] = ("M2", "M4", "M6", "M8", "S2", "K1", "O1", "N2")


@dataclass(frozen=True, slots=True)
class HarmonicTide:
    """level(t) = mean + sum_k a_k cos(w_k (t - epoch)) + b_k sin(w_k (t - epoch)), metres."""

    epoch_ns: int
    mean_m: float
    constituents: tuple[str, ...]
    cos_m: tuple[float, ...]
    sin_m: tuple[float, ...]

    def level(self, times_ns: np.ndarray) -> np.ndarray:
        hours = (np.asarray(times_ns, dtype=np.int64) - self.epoch_ns) / HOUR_NS
        out = np.full(hours.shape, self.mean_m, dtype=float)
        for name, a, b in zip(self.constituents, self.cos_m, self.sin_m, strict=True):
            w = np.deg2rad(SPEEDS_DEG_PER_HOUR[name]) * hours
            out += a * np.cos(w) + b * np.sin(w)
        return out

    def amplitudes(self) -> dict[str, float]:
        return {n: float(np.hypot(a, b)) for n, a, b in zip(self.constituents, self.cos_m, self.sin_m, strict=True)}


def resolved_constituents(constituents: tuple[str, ...], record_hours: float) -> set[str]:
    """Constituents separable from each other over a record of `record_hours` (Rayleigh criterion)."""
    resolved: list[str] = []
    for name in sorted(constituents, key=_PRIORITY.index):
        f = SPEEDS_DEG_PER_HOUR[name] / 360.0  # cycles per hour
        if all(abs(f - SPEEDS_DEG_PER_HOUR[r] / 360.0) * record_hours >= 1.0 for r in resolved):
            resolved.append(name)
    return set(resolved)


def fit_harmonic_tide(
    times_ns: np.ndarray,
    levels_m: np.ndarray,
    constituents: tuple[str, ...] = DEFAULT_CONSTITUENTS,
    ridge: float = 10.0,
) -> HarmonicTide:
    """Least-squares fit; `ridge` (per reading) penalises the constituents the record cannot resolve."""
    times_ns = np.asarray(times_ns, dtype=np.int64)
    levels_m = np.asarray(levels_m, dtype=float)
    if len(times_ns) < 2 * len(constituents) + 1:
        raise ValueError(f"need at least {2 * len(constituents) + 1} readings to fit, got {len(times_ns)}")
    epoch = int(times_ns[0])
    hours = (times_ns - epoch) / HOUR_NS
    resolved = resolved_constituents(constituents, float(hours[-1] - hours[0]))
    columns = [np.ones_like(hours)]
    penalty = [0.0]
    for name in constituents:
        w = np.deg2rad(SPEEDS_DEG_PER_HOUR[name]) * hours
        columns += [np.cos(w), np.sin(w)]
        penalty += [0.0 if name in resolved else ridge] * 2
    design = np.column_stack(columns)
    normal = design.T @ design + np.diag(penalty) * len(hours)
    coef = np.linalg.solve(normal, design.T @ levels_m)
    return HarmonicTide(
        epoch_ns=epoch,
        mean_m=float(coef[0]),
        constituents=constituents,
        cos_m=tuple(float(c) for c in coef[1::2]),
        sin_m=tuple(float(c) for c in coef[2::2]),
    )
