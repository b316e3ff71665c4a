"""The market's fair values: estimates of the settlement from the data as published, consistent across
products (LON_ETF is its basket, LON_FLY its expected payoff under the ETF's uncertainty)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from cmi_sim.market.as_of import WorldAsOf
from cmi_sim.market.fair_value import BASKET, GRID_NS, FairValuePath, estimate_all, information_fair_values
from cmi_sim.market.gaussian import expected_abs, expected_call, expected_fly, expected_put
from cmi_sim.sessions import load_session
from cmi_sim.settlement import lon_fly

HOUR_NS = 3600 * 10**9


@pytest.fixture(scope="module", params=["london-2026-02-28", "synthetic"])
def built(request):
    session = load_session(request.param)
    data = WorldAsOf(session.world, session.tide_publication_lag_ns)
    ticks = {p: 1 for p in session.products}
    fair = information_fair_values(data, ticks, session.start_ns, session.end_ns, session.open_ns, session.close_ns)
    return session, data, fair


def grid_times(session) -> range:
    return range(session.open_ns, session.close_ns + 1, GRID_NS)


def test_the_etf_is_its_basket_at_every_moment(built):
    session, _, fair = built
    for ts in grid_times(session):
        assert fair["LON_ETF"].at(ts) == sum(fair[p].at(ts) for p in BASKET)
        # ... and between grid points too
        assert fair["LON_ETF"].at(ts + GRID_NS // 2) == sum(fair[p].at(ts + GRID_NS // 2) for p in BASKET)


def test_the_fly_is_its_expected_payoff_under_the_etfs_uncertainty(built):
    session, data, fair = built
    for ts in list(grid_times(session))[::60]:
        estimates = estimate_all(data, session.start_ns, session.end_ns, ts)
        mean, sigma = estimates["LON_ETF"]
        assert sigma > 0
        assert fair["LON_FLY"].at(ts) == max(1, round(expected_fly(mean, sigma)))
        # A numerical expectation of the settlement formula agrees with the closed form.
        x = np.linspace(mean - 8 * sigma, mean + 8 * sigma, 20_001)
        density = np.exp(-0.5 * ((x - mean) / sigma) ** 2)
        numeric = float(np.sum([lon_fly(v) for v in x] * density) / density.sum())
        assert abs(numeric - expected_fly(mean, sigma)) < 0.5


def test_uncertainty_changes_the_flys_price_near_its_kinks():
    # At the middle strike the payoff is at a peak: any uncertainty lowers the expectation ...
    assert expected_fly(6600, 300) < lon_fly(6600) - 50
    # ... at the 7000 trough it raises it, and without uncertainty it is the payoff itself.
    assert expected_fly(7000, 300) > lon_fly(7000) + 50
    for e in (5000.0, 6400.0, 6600.0, 6999.0, 9000.0):
        assert expected_fly(e, 1e-9) == pytest.approx(lon_fly(e))


def test_gaussian_expectations_match_their_definitions():
    rng = np.random.default_rng(7)
    draws = rng.standard_normal(400_000) * 30 + 10
    assert expected_call(10, 30, 25) == pytest.approx(np.maximum(draws - 25, 0).mean(), rel=0.02)
    assert expected_put(10, 30, 25) == pytest.approx(np.maximum(25 - draws, 0).mean(), rel=0.02)
    assert expected_abs(10, 30) == pytest.approx(np.abs(draws).mean(), rel=0.02)
    assert expected_abs(-3000, 1e-9) == 3000


def test_uncertainty_shrinks_as_the_window_fills(built):
    session, _, fair = built
    for product, path in fair.items():
        sigmas = [path.sigma(ts) for ts in grid_times(session)]
        assert all(s >= 0 for s in sigmas)
        assert sigmas[-1] < sigmas[0] / 2, product


def test_once_all_is_published_the_estimates_are_the_settlement_values(built):
    session, data, _ = built
    after = session.end_ns + session.tide_publication_lag_ns
    estimates = estimate_all(data, session.start_ns, session.end_ns, after)
    for product, value in session.settlement_values.items():
        mean, sigma = estimates[product]
        assert sigma == pytest.approx(0, abs=1e-6), product
        assert mean == pytest.approx(value, abs=1e-6), product


def test_the_estimates_are_close_to_the_answer_late_and_plausible_early(built):
    session, _, fair = built
    late = session.close_ns - HOUR_NS
    for product, value in session.settlement_values.items():
        path = fair[product]
        # Within a few of its own standard deviations: the estimate neither knows the answer nor strays.
        assert abs(path.at(session.open_ns) - value) <= 4 * path.sigma(session.open_ns) + 2, product
        assert abs(path.at(late) - value) <= 4 * path.sigma(late) + 2, product


def test_a_path_holds_each_grid_value_until_the_next():
    path = FairValuePath(1000, [10, 20, 30], [3.0, 2.0, 1.0])
    assert [path.at(t) for t in (0, 1000, 1000 + GRID_NS - 1, 1000 + GRID_NS, 1000 + 5 * GRID_NS)] == [10, 10, 10, 20, 30]
    assert path.sigma(1000 + GRID_NS) == 2.0
    assert math.isclose(path.sigma(10**20), 1.0)
