"""Statistics of a PnL curve: Sharpe and Sortino of one-minute changes, drawdown and its duration."""

from __future__ import annotations

import math

import pytest

from cmi_sim.backtest.statistics import STEP_NS, curve_statistics, drawdown, ratios, sampled

MIN = STEP_NS


def test_sampling_holds_each_value_until_the_next_point():
    points = [(MIN // 2, 5.0), (2 * MIN + 1, 7.0)]
    assert sampled(points, 0, 3 * MIN) == [0.0, 5.0, 5.0, 7.0]


def test_sharpe_and_sortino_of_the_changes_scaled_by_the_root_of_their_number():
    values = [0.0, 1.0, 3.0, 2.0, 4.0]  # changes 1, 2, -1, 2
    sharpe, sortino = ratios(values)
    changes = [1, 2, -1, 2]
    mean = sum(changes) / 4
    std = math.sqrt(sum((c - mean) ** 2 for c in changes) / 3)
    assert sharpe == pytest.approx(mean / std * 2)
    assert sortino == pytest.approx(mean / math.sqrt(1 / 4) * 2)


def test_flat_curves_have_no_ratio():
    assert ratios([0.0, 0.0, 0.0]) == (None, None)
    assert ratios([0.0, 1.0, 2.0])[1] is None  # never down: no downside deviation


def test_drawdown_is_the_deepest_fall_and_the_longest_time_below_a_peak():
    points = [(0, 10.0), (10 * 10**9, 4.0), (20 * 10**9, 12.0), (30 * 10**9, 11.0)]
    deepest, seconds = drawdown(points, end_ns=100 * 10**9)
    assert deepest == 6.0
    assert seconds == 70.0  # from 30 s to the end, under the peak of 12 (longer than 10..20 s)


def test_curve_statistics_names_its_frequency():
    stats = curve_statistics([(MIN, 1.0), (2 * MIN, -1.0), (3 * MIN, 2.0)], 0, 4 * MIN)
    assert stats["frequency"] == "1min" and stats["max_drawdown"] == 2.0
