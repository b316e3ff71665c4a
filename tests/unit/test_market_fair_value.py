"""The fair-value model: a seeded bridge from a prior to the settlement value, in integer ticks."""

from __future__ import annotations

import random

import pytest

from cmi_sim.market.fair_value import GRID_NS, FairValuePath, prior_ticks

HOUR_NS = 3600 * 10**9
START = 1_772_289_000 * 10**9
END = START + 21 * HOUR_NS + 30 * 60 * 10**9  # not a whole number of grid steps


def path(seed: int = 1, prior: int = 2600, settlement: int = 2957, vol_bps: int = 400) -> FairValuePath:
    return FairValuePath(START, END, prior, settlement, vol_bps, random.Random(seed))


def test_path_starts_at_prior_and_ends_at_settlement():
    p = path()
    assert p.at(START - HOUR_NS) == p.at(START) == 2600
    assert p.at(END) == p.at(END + HOUR_NS) == 2957
    assert abs(p.at(END - 1) - 2957) <= 10  # the last minute can hardly move


def test_path_values_are_positive_integer_ticks():
    p = path(settlement=3, prior=5, vol_bps=5000)
    values = [p.at(START + k * 997 * 10**9) for k in range((END - START) // (997 * 10**9))]
    assert all(type(v) is int and v >= 1 for v in values)


def test_path_moves_toward_settlement_over_many_seeds():
    # The bridge's error shrinks as (end - t) / (end - start) does: early, mid, late, final.
    marks = [START, START + (END - START) // 2, END - (END - START) // 10, END]
    errors = [0, 0, 0, 0]
    for seed in range(40):
        p = path(seed)
        for i, t in enumerate(marks):
            errors[i] += abs(p.at(t) - 2957)
    assert errors[0] > errors[1] > errors[2] > errors[3] == 0


def test_path_is_a_pure_function_of_seed_and_time():
    a, b = path(7), path(7)
    times = [START + k * GRID_NS // 3 for k in range(500)]
    assert [a.at(t) for t in times] == [b.at(t) for t in reversed(times)][::-1]
    other = path(8)
    assert [other.at(t) for t in times] != [a.at(t) for t in times]


def test_uncertainty_shrinks_from_one_to_zero():
    p = path()
    assert p.uncertainty(START) == 1.0
    assert p.uncertainty(START + (END - START) // 2) == pytest.approx(0.5)
    assert p.uncertainty(END) == 0.0


def test_prior_is_starting_price_when_plausible_else_noisy_settlement():
    rng = random.Random(3)
    assert prior_ticks(2600, 2957, 800, rng) == 2600
    far = [prior_ticks(10, 2957, 800, rng) for _ in range(200)]
    assert all(1 <= v for v in far)
    assert 2600 < sum(far) / len(far) < 3300 and len(set(far)) > 50


def test_empty_window_is_refused():
    with pytest.raises(ValueError):
        FairValuePath(START, START, 10, 10, 100, random.Random(0))
