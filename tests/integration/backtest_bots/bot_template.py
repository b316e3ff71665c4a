"""Stands in for the organisers' template next to these test bots (as competitors had it)."""

from cmi_sim.client import *  # noqa: F403
from cmi_sim.client import BaseBot, OrderBook, OrderRequest, Side, Trade  # noqa: F401
