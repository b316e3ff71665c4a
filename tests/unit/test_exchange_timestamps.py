"""The wire timestamp format: ISO-8601 UTC, exactly nine fractional digits, round-tripping."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cmi_sim.exchange import format_timestamp, parse_timestamp


def test_format_has_nine_fractional_digits_and_z():
    assert format_timestamp(1772288739048403030) == "2026-02-28T14:25:39.048403030Z"
    assert format_timestamp(1772288739000000000) == "2026-02-28T14:25:39.000000000Z"
    assert format_timestamp(0) == "1970-01-01T00:00:00.000000000Z"


def test_parse_accepts_fewer_fractional_digits_and_none():
    assert parse_timestamp("2026-02-28T14:25:39.048Z") == 1772288739048000000
    assert parse_timestamp("2026-02-28T14:25:39Z") == 1772288739000000000


@given(st.integers(min_value=0, max_value=4_102_444_800 * 10**9 - 1))  # up to 2100
def test_format_then_parse_round_trips_with_fixed_width(ns):
    text = format_timestamp(ns)
    assert parse_timestamp(text) == ns
    assert len(text) == 30


@pytest.mark.parametrize("text", [
    "", "2026-02-28", "2026-02-28 14:25:39Z", "2026-02-28T14:25:39", "2026-02-28T14:25:39+00:00",
    "2026-02-28T14:25:39.0484030301Z", "2026-2-28T14:25:39Z", "2026-02-28T14:25:39.Z", "garbage",
    "2026-13-01T00:00:00Z",
])
def test_parse_bad_input_raises_value_error(text):
    with pytest.raises(ValueError):
        parse_timestamp(text)


@pytest.mark.parametrize("text", [
    "2026-02-30T00:00:00Z", "2026-02-29T00:00:00Z", "2026-02-28T24:00:00Z", "2026-02-28T14:60:00Z",
    "2026-02-28T14:25:60Z", "2026-00-10T00:00:00Z", "2026-04-31T00:00:00Z",
])
def test_parse_impossible_date_or_time_raises_instead_of_rolling_over(text):
    with pytest.raises(ValueError):
        parse_timestamp(text)
