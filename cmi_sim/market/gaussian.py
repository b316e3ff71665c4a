"""Expectations under a normal distribution, for pricing a payoff on an uncertain estimate.

Closed forms where the payoff is piecewise linear (abs, calls, puts: LON_FLY, TIDE_SPOT, LHR_INDEX) and
a fixed Gauss-Hermite rule otherwise (TIDE_SWING's strangle on 15-minute changes). Deterministic: no
random draws, no adaptive integration.
"""

from __future__ import annotations

import math

import numpy as np

_SQRT2 = math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
# Probabilists' Gauss-Hermite nodes and weights (weights normalised to sum to 1): E[f(Z)] ~ sum w f(x).
_NODES, _WEIGHTS = np.polynomial.hermite_e.hermegauss(24)
_WEIGHTS = _WEIGHTS / _WEIGHTS.sum()


def cdf(z: float) -> float:
    return 0.5 * (1.0 + math.erf(z / _SQRT2))


def pdf(z: float) -> float:
    return _INV_SQRT_2PI * math.exp(-0.5 * z * z)


def expected_call(mean: float, sigma: float, strike: float) -> float:
    """E[max(X - K, 0)] for X ~ N(mean, sigma^2) (Bachelier)."""
    if sigma <= 0:
        return max(0.0, mean - strike)
    d = (mean - strike) / sigma
    return (mean - strike) * cdf(d) + sigma * pdf(d)


def expected_put(mean: float, sigma: float, strike: float) -> float:
    """E[max(K - X, 0)]: put-call parity on the call."""
    return expected_call(mean, sigma, strike) - (mean - strike)


def expected_abs(mean: float, sigma: float) -> float:
    """E|X| (the folded normal's mean)."""
    return expected_call(mean, sigma, 0.0) + expected_put(mean, sigma, 0.0)


def expected_fly(mean: float, sigma: float) -> float:
    """LON_FLY's expected payoff, 2 Put(6200) + Call(6200) - 2 Call(6600) + 3 Call(7000), on E ~ N."""
    return (2 * expected_put(mean, sigma, 6200) + expected_call(mean, sigma, 6200)
            - 2 * expected_call(mean, sigma, 6600) + 3 * expected_call(mean, sigma, 7000))


def expected_of(payoff, means: np.ndarray, sigmas: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """E[payoff(X)] and Var[payoff(X)] for independent X_i ~ N(means_i, sigmas_i^2), elementwise.
    `payoff` takes and returns numpy arrays."""
    means = np.asarray(means, dtype=float)[:, None]
    sigmas = np.asarray(sigmas, dtype=float)[:, None]
    values = payoff(means + sigmas * _NODES[None, :])
    first = values @ _WEIGHTS
    second = (values * values) @ _WEIGHTS
    return first, np.maximum(0.0, second - first * first)
