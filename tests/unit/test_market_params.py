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
