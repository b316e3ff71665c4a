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
        positions, cash = self.positions, self.cash
        for account, sign in ((buyer, 1), (seller, -1)):
            pos = positions.get(account)
            if pos is None:
                pos = positions[account] = {}
                cash[account] = {}
            pos[product] = pos.get(product, 0) + sign * volume
            account_cash = cash[account]
            account_cash[product] = account_cash.get(product, 0) - sign * volume * price

    def position(self, account: str, product: str) -> int:
        return self.positions.get(account, {}).get(product, 0)

    def accounts(self) -> list[str]:
        return list(self.positions)
