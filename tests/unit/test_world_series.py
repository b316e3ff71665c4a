"""World series: generators are seeded and reproducible, the tide fit is sane, gaps are labelled."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from cmi_sim.settlement import settle
from cmi_sim.world import DataFileError, fit_harmonic_tide, read_tide_csv, synthetic_world
from cmi_sim.world.synthetic import synthetic_flights, synthetic_tide, synthetic_tide_model, synthetic_weather
from cmi_sim.world.tide_model import resolved_constituents
from cmi_sim.world.times import DAY_NS, HOUR_NS, STEP_NS, parse_utc

DATA = Path(__file__).parents[1] / "data" / "london-2026-02-28"
START = parse_utc("2026-02-28T12:00:00Z")
END = START + DAY_NS


def test_generators_same_seed_give_identical_series():
    assert synthetic_tide(7, START, END) == synthetic_tide(7, START, END)
    assert synthetic_weather(7, START, END).values == synthetic_weather(7, START, END).values
    assert synthetic_flights(7, START, END) == synthetic_flights(7, START, END)


def test_generators_different_seeds_give_different_days():
    assert synthetic_tide(1, START, END).levels_m != synthetic_tide(2, START, END).levels_m
    assert synthetic_weather(1, START, END).values != synthetic_weather(2, START, END).values
    assert synthetic_flights(1, START, END) != synthetic_flights(2, START, END)


def test_generated_values_are_rounded_to_source_precision():
    tide = synthetic_tide(3, START, END)
    weather = synthetic_weather(3, START, END)
    assert all(round(v, 3) == v for v in tide.levels_m)
    assert all(round(v, 1) == v for v in weather.values["temperature_2m"])
    assert all(v == int(v) and 0 <= v <= 100 for v in weather.values["relative_humidity_2m"])


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_synthetic_day_is_plausible_for_any_seed(seed):
    world = synthetic_world(seed, START, END)
    values = settle(world, START, END)
    assert 1000 <= values["LHR_COUNT"] <= 1400
    levels = np.array(world.tide.levels_m)
    assert -4.5 < levels.min() < 0 < levels.max() < 4.5
    temps = np.array(world.weather.values["temperature_2m"])
    assert -10 < temps.min() and temps.max() < 25
    assert all(v >= 0 for v in values.values())


def test_synthetic_night_has_few_movements():
    flights = synthetic_flights(5, START, END)
    night = [f for f in flights.flights if 0 <= (f.shown_scheduled_ns % DAY_NS) // HOUR_NS < 4]
    assert len(night) < 15


def test_tide_fit_30_days_recovers_a_known_harmonic_tide():
    truth = synthetic_tide_model(11, START)
    times = START + np.arange(30 * 96, dtype=np.int64) * STEP_NS
    model = fit_harmonic_tide(times, truth.level(times))
    assert np.max(np.abs(model.level(times) - truth.level(times))) < 1e-6
    assert model.amplitudes()["S2"] == pytest.approx(truth.amplitudes()["S2"], abs=1e-6)


def test_tide_fit_short_record_shrinks_unresolved_constituents():
    assert resolved_constituents(("M2", "S2", "N2", "K1", "O1", "M4"), 15.0) == {"M2", "M4"}
    readings = read_tide_csv(DATA / "thames.csv")
    times = np.array(sorted(readings))
    model = fit_harmonic_tide(times, np.array([readings[int(t)] for t in times]))
    amps = model.amplitudes()
    assert 2.0 < amps["M2"] < 2.6
    assert amps["S2"] < 0.05 and amps["N2"] < 0.05
    # extrapolated 9 h ahead it stays a tide, not metres of drift
    ahead = model.level(np.array([END]))[0]
    assert 2.5 < ahead < 3.5


def test_read_tide_csv_bad_value_names_file_line_and_field(tmp_path):
    bad = tmp_path / "thames.csv"
    bad.write_text("time_utc,level_maod\n2026-02-28T12:00:00Z,2.6\n2026-02-28T12:15:00Z,high\n")
    with pytest.raises(DataFileError, match=r"thames\.csv: line 3: level_maod must be a number"):
        read_tide_csv(bad)


def test_step_constant_is_15_minutes():
    assert STEP_NS == 15 * 60 * 10**9
