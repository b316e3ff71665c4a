"""The settlement formulas pinned on hand-computed cases and on the London reference data."""

from __future__ import annotations

import csv
import json
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cmi_sim import settlement as s

DATA = Path(__file__).parents[1] / "data" / "london-2026-02-28"
MIN = s.NS_PER_MINUTE
START = 1_772_280_000 * 1_000_000_000  # 2026-02-28T12:00:00Z
END = START + 24 * 60 * MIN


def ns(iso: str) -> int:
    return int(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()) * 1_000_000_000


def test_start_constant_is_london_window_start():
    assert ns("2026-02-28T12:00:00Z") == START


# --- TIDE_SWING strangle --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("d_cm", "payoff"),
    [(0.0, 20.0), (19.0, 1.0), (20.0, 0.0), (22.5, 0.0), (25.0, 0.0), (26.0, 1.0), (30.5, 5.5)],
)
def test_strangle_at_d_pays_hand_computed(d_cm, payoff):
    assert s.swing_strangle(d_cm) == pytest.approx(payoff)


@pytest.mark.parametrize(
    ("step_m", "per_pair"),
    [(0.19, 1.0), (0.20, 0.0), (0.225, 0.0), (0.25, 0.0), (0.26, 1.0)],
)
def test_tide_swing_with_constant_steps_pays_96_times_strangle(step_m, per_pair):
    # alternating up/down moves of `step_m` metres: |d| is the same for every pair
    levels = {START + i * 15 * MIN: round((i % 2) * step_m, 3) for i in range(97)}
    assert s.tide_swing(levels, START, END) == pytest.approx(96 * per_pair, abs=1e-9)


def test_tide_swing_exact_boundary_moves_pay_exactly_zero():
    levels = {START + i * 15 * MIN: round(1.3 - i * 0.2, 3) for i in range(97)}
    assert s.tide_swing(levels, START, END) == 0.0


def test_tide_swing_missing_reading_raises_naming_time():
    levels = {START + i * 15 * MIN: 0.0 for i in range(96)}  # no reading at END
    with pytest.raises(s.SettlementError, match="2026-03-01T12:00:00Z"):
        s.tide_swing(levels, START, END)


def test_tide_spot_negative_level_gives_millimetres_absolute():
    assert s.tide_spot({END: -0.27}, END) == pytest.approx(270.0)


# --- weather -------------------------------------------------------------------------------------


def test_wx_spot_10_5c_92pct_gives_4682_8():
    assert s.wx_spot({END: (10.5, 92)}, END) == pytest.approx(4682.8)


def test_wx_sum_excludes_end_point_and_divides_by_100():
    weather = {START + i * 15 * MIN: (0.0, 100.0) for i in range(96)}  # 32 F x 100 % = 3200 each
    weather[END] = (100.0, 100.0)  # must be ignored
    assert s.wx_sum(weather, START, END) == pytest.approx(96 * 32.0)


# --- flights -------------------------------------------------------------------------------------


def test_lhr_count_half_open_window_excludes_end():
    moves = [("arr", START), ("dep", START + 5 * MIN), ("arr", END - 1), ("dep", END), ("arr", START - 1)]
    assert s.lhr_count(moves, START, END) == 3.0


def test_lhr_index_with_empty_bins_adds_zero_for_them():
    # bin 0: 3 arr 1 dep -> +0.5; bin 1: empty; bin 2: 0 arr 2 dep -> -1; others empty
    moves = [("arr", START), ("arr", START + MIN), ("arr", START + 29 * MIN), ("dep", START + 10 * MIN)]
    moves += [("dep", START + 60 * MIN), ("dep", START + 89 * MIN)]
    assert s.lhr_index(moves, START, END) == pytest.approx(50.0)


def test_lhr_index_all_bins_arrivals_only_gives_4800():
    moves = [("arr", START + i * 30 * MIN + 7 * MIN) for i in range(48)]
    assert s.lhr_index(moves, START, END) == pytest.approx(4800.0)


def test_movement_time_prefers_revised_then_scheduled():
    assert s.movement_time_ns(10, 20) == 20
    assert s.movement_time_ns(10, None) == 10


# --- derived -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("etf", "fly"),
    [
        (0.0, 12400.0),
        (6100.0, 200.0),
        (6200.0, 0.0 + 0.0),
        (6300.0, 100.0),
        (6600.0, 400.0),
        (6700.0, 300.0),
        (7000.0, 0.0),
        (7100.0, 200.0),
        (8668.0, 3336.0),
    ],
)
def test_lon_fly_at_and_around_strikes_gives_hand_computed(etf, fly):
    assert s.lon_fly(etf) == pytest.approx(fly)


def test_lon_etf_is_sum_of_spots():
    assert s.lon_etf(2984.0, 4482.0, 1202.0) == 8668.0


@given(st.floats(min_value=-1e7, max_value=1e7, allow_nan=False))
def test_lon_fly_any_etf_is_non_negative(etf):
    assert s.lon_fly(etf) >= 0.0


@given(
    st.lists(st.floats(min_value=-5, max_value=5, allow_nan=False), min_size=97, max_size=97),
    # above -17.7 C, where Fahrenheit (and so WX_SPOT) is positive; London never gets near it
    st.lists(st.tuples(st.floats(-17.7, 45), st.floats(0, 100)), min_size=97, max_size=97),
    st.lists(st.tuples(st.sampled_from(["arr", "dep"]), st.integers(START - MIN, END + MIN)), max_size=60),
)
def test_settle_any_data_is_non_negative(levels, weather, moves):
    def index(t: int) -> int:
        return (t - START) // (15 * MIN)

    world = SimpleNamespace(
        tide=SimpleNamespace(level_at=lambda t: levels[index(t)]),
        weather=SimpleNamespace(temp_rh_at=lambda t: weather[index(t)]),
        flights=SimpleNamespace(movements=lambda: moves),
    )
    values = s.settle(world, START, END)
    assert list(values) == list(s.SYMBOLS)
    assert all(v >= 0.0 for v in values.values()), values


# --- London reference data (settlement_check.md) -------------------------------------------------


def _thames() -> dict[int, float]:
    with open(DATA / "thames.csv", newline="") as f:
        return {ns(r["time_utc"]): float(r["level_maod"]) for r in csv.DictReader(f)}


def _weather() -> dict[int, tuple[float, float]]:
    with open(DATA / "weather.csv", newline="") as f:
        return {
            ns(r["time_utc"]): (float(r["temperature_c"]), float(r["relative_humidity_pct"]))
            for r in csv.DictReader(f)
        }


def _movements() -> list[tuple[str, int]]:
    flights = json.loads((DATA / "flights.json").read_text())
    return [
        (
            f["direction"],
            s.movement_time_ns(
                ns(f["scheduled_utc"]) if f["scheduled_utc"] else None,
                ns(f["revised_utc"]) if f["revised_utc"] else None,
            ),
        )
        for f in flights
    ]


def test_london_tide_swing_over_60_real_intervals_gives_273_9():
    assert s.tide_swing(_thames(), START, START + 60 * 15 * MIN) == pytest.approx(273.9, abs=0.05)


def test_london_lhr_count_half_open_gives_1179():
    assert s.lhr_count(_movements(), START, END) == 1179.0


def test_london_lhr_index_revised_bins_gives_176_5():
    assert s.lhr_index(_movements(), START, END) == pytest.approx(176.5, abs=0.05)


def test_london_wx_sum_96_points_gives_3277_52():
    assert s.wx_sum(_weather(), START, END) == pytest.approx(3277.52, abs=0.005)


def test_london_wx_spot_gives_4682_8():
    assert s.wx_spot(_weather(), END) == pytest.approx(4682.8, abs=1e-6)
