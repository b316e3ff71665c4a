"""The pure matching engine: integer prices, volumes and times in; immutable events out.

Imports only the standard library; no I/O, clock, sleep, logging or threads.
"""

from cmi_sim.engine.book import Depth, DepthLevel, OrderView
from cmi_sim.engine.events import (
    BAD_PRICE,
    BAD_SIDE,
    BAD_VOLUME,
    BUY,
    SELL,
    SIDE_NAMES,
    UNKNOWN_ORDER,
    UNKNOWN_PRODUCT,
    EVENT_TYPES,
    CancelRejected,
    EngineEvent,
    Event,
    Fill,
    OrderAccepted,
    OrderCancelled,
    OrderReduced,
    OrderRejected,
    Settled,
    TapePrint,
    event_record,
)
from cmi_sim.engine.matching import SELF_TRADE_ALLOW, SELF_TRADE_PREVENT, MatchingEngine

__all__ = [
    "BAD_PRICE", "BAD_SIDE", "BAD_VOLUME", "BUY", "SELL", "SIDE_NAMES", "UNKNOWN_ORDER", "UNKNOWN_PRODUCT",
    "CancelRejected", "Depth", "DepthLevel", "EVENT_TYPES", "EngineEvent", "Event", "Fill", "MatchingEngine",
    "OrderAccepted", "OrderCancelled", "OrderReduced", "OrderRejected", "OrderView", "SELF_TRADE_ALLOW",
    "SELF_TRADE_PREVENT", "Settled", "TapePrint", "event_record",
]
