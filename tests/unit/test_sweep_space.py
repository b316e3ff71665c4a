"""The sweep's parameter space and how a setting reaches the bot."""

from __future__ import annotations

import pytest

from cmi_sim.sweep.delivery import Delivery
from cmi_sim.sweep.space import SpaceError, grid, parse_param, parse_params, parse_seeds, random_settings


def test_a_list_keeps_its_order_and_types() -> None:
    param = parse_param("width=3,6,9")
    assert (param.name, param.kind, param.values) == ("width", "list", (3, 6, 9))
    assert parse_param("mode=fast,0.5,2").values == ("fast", 0.5, 2)


def test_a_linear_range_includes_its_stop_on_the_step() -> None:
    assert parse_param("width=2:10:2").values == (2, 4, 6, 8, 10)
    assert parse_param("width=2:9:2").values == (2, 4, 6, 8)
    assert parse_param("edge=0.1:0.5:0.1").values == (0.1, 0.2, 0.3, 0.4, 0.5)  # tidy decimals, stop kept


def test_a_log_range_spans_its_bounds() -> None:
    param = parse_param("width=log:1:100:5")
    assert param.values == (1, 3, 10, 32, 100)
    assert parse_param("width=log:1.0:100.0:3").values == (1.0, 10.0, 100.0)
    assert parse_param("n=log:1:3:5").values == (1, 2, 3)  # rounding to integers drops repeats


@pytest.mark.parametrize("text", ["width", "width=", "=3", "width=3,,4", "width=3,3", "width=10:2:1", "width=1:5:0",
                                  "width=log:0:10:3", "width=log:1:10:0", "width=log:1:10", "width=a:b:c",
                                  "width=1:1000000:1", "2x=1"])
def test_bad_specifications_are_refused_with_the_text(text: str) -> None:
    with pytest.raises(SpaceError, match="--param"):
        parse_param(text)


def test_a_name_given_twice_is_refused() -> None:
    with pytest.raises(SpaceError, match="twice"):
        parse_params(["width=1,2", "width=3"])


def test_the_grid_varies_the_last_parameter_fastest() -> None:
    params = parse_params(["a=1,2", "b=x,y"])
    assert grid(params) == [{"a": 1, "b": "x"}, {"a": 1, "b": "y"}, {"a": 2, "b": "x"}, {"a": 2, "b": "y"}]
    assert grid(()) == [{}]


def test_random_settings_are_seeded_distinct_and_within_the_space() -> None:
    params = parse_params(["width=2:10:2", "scale=log:0.1:10.0:3"])
    first = random_settings(params, 6, seed=3)
    assert first == random_settings(params, 6, seed=3)
    assert first != random_settings(params, 6, seed=4)
    assert len({tuple(s.items()) for s in first}) == 6
    assert all(s["width"] in (2, 4, 6, 8, 10) and 0.1 <= s["scale"] <= 10 for s in first)
    assert len(random_settings(parse_params(["w=1,2"]), 10, seed=0)) == 2  # no more than the space holds


def test_seeds_as_ranges_and_lists() -> None:
    assert parse_seeds("1-8") == tuple(range(1, 9))
    assert parse_seeds("1,2,5") == (1, 2, 5)
    assert parse_seeds("1-3,9") == (1, 2, 3, 9)
    for bad in ("", "a", "3-1", "1,1", "1-2,2"):
        with pytest.raises(SpaceError):
            parse_seeds(bad)


def test_values_reach_the_bot_as_its_own_options_after_the_fixed_arguments() -> None:
    delivery = Delivery(fixed_args=("--products", "TIDE_SPOT"))
    assert delivery.bot_args({"width": 3, "volume": 5}) == ("--products", "TIDE_SPOT", "--width", "3", "--volume", "5")
    assert delivery.env({"width": 3}) == {} and delivery.entry_call({"width": 3}) is None


def test_a_template_fills_in_the_values_and_splits_like_a_shell() -> None:
    delivery = Delivery(mode="template", template="--config 'my cfg {width}.json' --w={width}")
    assert delivery.bot_args({"width": 4}) == ("--config", "my cfg 4.json", "--w=4")
    with pytest.raises(SpaceError, match="cannot fill in"):
        Delivery(mode="template", template="--x {other}").check(["width"])


def test_environment_variables_carry_the_values() -> None:
    delivery = Delivery(mode="env")
    assert delivery.env({"QUOTE_WIDTH": 3}) == {"QUOTE_WIDTH": "3"}
    assert delivery.bot_args({"QUOTE_WIDTH": 3}) == ()
    with pytest.raises(SpaceError, match="environment variable"):
        delivery.check(["bad-name"])


def test_entry_keywords_are_added_or_replaced() -> None:
    delivery = Delivery(mode="entry", entry="SimpleQuoter.run_loop(1, width=5, volume=5)")
    assert delivery.entry_call({"width": 3, "interval": 2.5}) == \
        "SimpleQuoter.run_loop(1, volume=5, width=3, interval=2.5)"
    with pytest.raises(SpaceError, match="needs --entry"):
        Delivery(mode="entry").check(["width"])
    with pytest.raises(SpaceError, match="--entry"):
        Delivery(mode="entry", entry="not a call").check(["width"])
