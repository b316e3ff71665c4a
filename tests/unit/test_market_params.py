"""Market settings from a session's [market.params] table."""

from __future__ import annotations

import pytest

from cmi_sim.market import MarketParams


def test_empty_table_gives_defaults():
    assert MarketParams.from_mapping({}) == MarketParams()


def test_known_keys_override_defaults():
    params = MarketParams.from_mapping({"makers_per_product": 3, "fat_fingers_per_day": 0})
    assert (params.makers_per_product, params.fat_fingers_per_day) == (3, 0)


def test_unknown_key_is_rejected_by_name():
    with pytest.raises(ValueError, match="makers_per_prodcut"):
        MarketParams.from_mapping({"makers_per_prodcut": 3})


@pytest.mark.parametrize("values", [{"noise_traders": -1}, {"size_max": 2.5}, {"requote_min_s": 0},
                                    {"requote_min_s": 9, "requote_max_s": 3}])
def test_bad_values_are_rejected(values):
    with pytest.raises(ValueError, match=r"\[market.params\]"):
        MarketParams.from_mapping(values)


def test_half_spreads_override_per_product_and_keep_the_rest():
    params = MarketParams.from_mapping({"half_spread_ticks": {"LON_ETF": [2, 4]}})
    assert params.half_spread_ticks["LON_ETF"] == (2, 4)
    assert params.half_spread_ticks["TIDE_SPOT"] == MarketParams().half_spread_ticks["TIDE_SPOT"]


@pytest.mark.parametrize("table", [{"LON_ETFF": [1, 2]}, {"LON_ETF": [3, 2]}, {"LON_ETF": [0, 2]},
                                   {"LON_ETF": 2}, {"LON_ETF": [1.5, 2]}, [1, 2]])
def test_bad_half_spreads_are_rejected_by_name(table):
    with pytest.raises(ValueError, match=r"half_spread_ticks"):
        MarketParams.from_mapping({"half_spread_ticks": table})


def test_view_and_arbitrage_ranges_are_checked():
    with pytest.raises(ValueError, match="view_lag_min_s"):
        MarketParams(view_lag_min_s=10, view_lag_max_s=5)
    with pytest.raises(ValueError, match="arb_delay_min_ms"):
        MarketParams(arb_delay_min_ms=10, arb_delay_max_ms=5)
    with pytest.raises(ValueError, match="etf_basket_weight_percent"):
        MarketParams(etf_basket_weight_percent=101)
