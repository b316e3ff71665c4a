"""The London challenge's competition score over a set of accounts' per-product PnL.

Within a product, a positive PnL is divided by the sum of all positive PnLs in it and a negative PnL by the
absolute sum of all negative PnLs (so it counts negatively); the score is the weighted sum over products,
with weight 4 for TIDE_SPOT, WX_SPOT, LHR_COUNT, LON_ETF and 1 for the others.
"""

from __future__ import annotations

from collections.abc import Mapping

GROUP_A = ("TIDE_SPOT", "WX_SPOT", "LHR_COUNT", "LON_ETF")
WEIGHTS: dict[str, int] = {
    "TIDE_SPOT": 4, "TIDE_SWING": 1, "WX_SPOT": 4, "WX_SUM": 1,
    "LHR_COUNT": 4, "LHR_INDEX": 1, "LON_ETF": 4, "LON_FLY": 1,
}


def competition_score(pnl: Mapping[str, Mapping[str, float]],
                      weights: Mapping[str, float] = WEIGHTS) -> dict[str, float]:
    """`pnl[account][product]` -> score per account (accounts in the order given)."""
    scores = {account: 0.0 for account in pnl}
    for product, weight in weights.items():
        values = {account: by_product.get(product, 0.0) for account, by_product in pnl.items()}
        gains = sum(v for v in values.values() if v > 0)
        losses = -sum(v for v in values.values() if v < 0)
        for account, value in values.items():
            if value > 0:
                scores[account] += weight * value / gains
            elif value < 0:
                scores[account] += weight * value / losses
    return scores
