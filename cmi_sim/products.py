"""The eight CMI products, in the order the exchange lists them."""

from __future__ import annotations

from dataclasses import dataclass

CMI_SYMBOLS: tuple[str, ...] = (
    "TIDE_SPOT",
    "TIDE_SWING",
    "WX_SPOT",
    "WX_SUM",
    "LHR_COUNT",
    "LHR_INDEX",
    "LON_ETF",
    "LON_FLY",
)


@dataclass(frozen=True, slots=True)
class Product:
    """A listed product. Prices inside the simulator are integer multiples of `tick_size`."""

    symbol: str
    tick_size: int = 1
    starting_price: int = 10
    contract_size: int = 1


def cmi_products(starting_prices: dict[str, int] | None = None) -> tuple[Product, ...]:
    """The eight CMI products with the real test exchange's values, or a session's starting prices."""
    prices = starting_prices or {}
    unknown = set(prices) - set(CMI_SYMBOLS)
    if unknown:
        raise ValueError(f"unknown product(s): {', '.join(sorted(unknown))}")
    return tuple(Product(s, starting_price=prices.get(s, 10)) for s in CMI_SYMBOLS)
