"""ExchangeRules: defaults, validation of every field, `from_mapping`, and the digest."""

from __future__ import annotations

import dataclasses

import pytest

from cmi_sim.exchange import ExchangeRules


def test_defaults_are_the_real_exchanges():
    rules = ExchangeRules()
    assert (rules.position_limit, rules.limit_counts_resting, rules.order_volume, rules.rate_limit,
            rules.requests_per_second, rules.self_trade, rules.mark) == (100, True, "remaining", "report", 1,
                                                                         "allow", "last")


@pytest.mark.parametrize("field, value", [
    ("order_volume", "bogus"), ("order_volume", None),
    ("rate_limit", "strict"), ("self_trade", "forbid"), ("mark", "vwap"),
    ("position_limit", 0), ("position_limit", -1), ("position_limit", 1.5), ("position_limit", True),
    ("requests_per_second", 0), ("max_order_volume", "10"),
    ("limit_counts_resting", 1), ("limit_counts_resting", "yes"),
])
def test_invalid_setting_raises_value_error_naming_the_field(field, value):
    with pytest.raises(ValueError, match=field):
        ExchangeRules(**{field: value})


@pytest.mark.parametrize("value", ["remaining", "original"])
def test_order_volume_accepts_both_choices(value):
    assert ExchangeRules(order_volume=value).order_volume == value


def test_rules_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        ExchangeRules().position_limit = 5  # type: ignore[misc]


def test_from_mapping_builds_rules():
    assert ExchangeRules.from_mapping({"position_limit": 200, "mark": "mid"}) == ExchangeRules(
        position_limit=200, mark="mid")


def test_from_mapping_rejects_unknown_keys_by_name():
    with pytest.raises(ValueError, match="positon_limit"):
        ExchangeRules.from_mapping({"positon_limit": 200})


def test_from_mapping_still_validates_values():
    with pytest.raises(ValueError):
        ExchangeRules.from_mapping({"rate_limit": "never"})


def test_digest_is_stable_and_changes_with_any_setting():
    assert ExchangeRules().digest() == ExchangeRules().digest()
    assert len(ExchangeRules().digest()) == 16
    assert ExchangeRules().digest() != ExchangeRules(position_limit=200).digest()
    assert ExchangeRules().digest() != ExchangeRules(self_trade="prevent").digest()
