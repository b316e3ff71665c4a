"""A client for the CMI Exchange, compatible with the organisers' ``bot_template.py``.

Bots import it as ``from bot_template import BaseBot, OrderBook, ...`` through ``bots/bot_template.py``.
"""

from .bot import BaseBot
from .connection import AuthenticationError
from .types import Order, OrderBook, OrderRequest, OrderResponse, PriceLevel, Product, Side, Trade

__all__ = [
    "AuthenticationError",
    "BaseBot",
    "Order",
    "OrderBook",
    "OrderRequest",
    "OrderResponse",
    "PriceLevel",
    "Product",
    "Side",
    "Trade",
]
