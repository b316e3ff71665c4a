"""The competition score on a hand-computed case."""

from __future__ import annotations

import pytest

from cmi_sim.exchange import WEIGHTS, competition_score


def test_group_a_weighs_four_and_others_one():
    assert {p for p, w in WEIGHTS.items() if w == 4} == {"TIDE_SPOT", "WX_SPOT", "LHR_COUNT", "LON_ETF"}
    assert {p for p, w in WEIGHTS.items() if w == 1} == {"TIDE_SWING", "WX_SUM", "LHR_INDEX", "LON_FLY"}


def test_score_normalises_gains_and_losses_separately_per_product_and_weights_them():
    pnl = {
        "x": {"TIDE_SPOT": 30.0, "LON_FLY": -5.0},
        "y": {"TIDE_SPOT": 10.0, "LON_FLY": -15.0},
        "z": {"TIDE_SPOT": -20.0, "LON_FLY": 8.0},
    }
    # TIDE_SPOT (weight 4): gains 40, losses 20 -> x 4*30/40 = 3, y 4*10/40 = 1, z 4*-20/20 = -4.
    # LON_FLY (weight 1): gains 8, losses 20 -> x -5/20 = -0.25, y -15/20 = -0.75, z 8/8 = 1.
    assert competition_score(pnl) == pytest.approx({"x": 2.75, "y": 0.25, "z": -3.0})


def test_zero_and_missing_pnl_score_nothing():
    assert competition_score({"a": {}, "b": {"WX_SUM": 0.0}}) == {"a": 0.0, "b": 0.0}


def test_sole_winner_gets_the_full_weight():
    assert competition_score({"a": {"LON_ETF": 1.0}, "b": {"LON_ETF": -1e9}}) == {"a": 4.0, "b": -4.0}
