"""Positions and cash per account and product, moved only by trades."""

from __future__ import annotations


class Ledger:
    """Net positions (contracts) and cash (ticks x contracts) per account, per product.

    An account's products appear in the order it first traded them, and stay (at 0) once traded.
    """

    def __init__(self) -> None:
        self.positions: dict[str, dict[str, int]] = {}
        self.cash: dict[str, dict[str, int]] = {}

    def apply_trade(self, product: str, buyer: str, seller: str, volume: int, price: int) -> None:
        # Written out for the two sides: this runs for every fill.
        positions, cash = self.positions, self.cash
        notional = volume * price
        pos = positions.get(buyer)
        if pos is None:
            pos = positions[buyer] = {}
            cash[buyer] = {}
        pos[product] = pos.get(product, 0) + volume
        account_cash = cash[buyer]
        account_cash[product] = account_cash.get(product, 0) - notional
        pos = positions.get(seller)
        if pos is None:
            pos = positions[seller] = {}
            cash[seller] = {}
        pos[product] = pos.get(product, 0) - volume
        account_cash = cash[seller]
        account_cash[product] = account_cash.get(product, 0) + notional

    def position(self, account: str, product: str) -> int:
        return self.positions.get(account, {}).get(product, 0)

    def accounts(self) -> list[str]:
        return list(self.positions)
