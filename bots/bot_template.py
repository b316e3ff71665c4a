"""Drop-in stand-in for the organisers' ``bot_template.py``, backed by ``cmi_sim.client``.

Bots in this folder import it exactly as competitors' bots import the organisers' file:
``from bot_template import BaseBot, OrderBook, OrderRequest, Side, ...``. A competitor who has the
organisers' file puts it next to their bot instead, and it takes precedence over this one.
"""

try:
    import cmi_sim  # noqa: F401
except ImportError:  # a checkout without `pip install -e .`: use the package beside this folder
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cmi_sim.client import *  # noqa: E402,F403
from cmi_sim.client import (  # noqa: E402,F401
    AuthenticationError,
    BaseBot,
    Order,
    OrderBook,
    OrderRequest,
    OrderResponse,
    PriceLevel,
    Product,
    Side,
    Trade,
)
