"""The exchange core: accounts, positions, cash, the trade tape, limits, rates, hours, PnL and settlement."""

from cmi_sim.engine import Settled, TapePrint
from cmi_sim.exchange.accounts import Accounts, LoginResult, check_password, hash_password
from cmi_sim.exchange.exchange import (
    MARKET_CLOSED,
    POSITION_LIMIT,
    CancelResult,
    Exchange,
    OrderResult,
    TradingHours,
)
from cmi_sim.exchange.journal import EventList, EventSink, JsonlSink, NullSink, RecentEvents
from cmi_sim.exchange.rules import ExchangeRules
from cmi_sim.exchange.scoring import WEIGHTS, competition_score
from cmi_sim.exchange.tape import Trade, TradeTape
from cmi_sim.exchange.timestamps import format_timestamp, parse_timestamp

__all__ = [
    "MARKET_CLOSED", "POSITION_LIMIT", "WEIGHTS", "Accounts", "CancelResult", "EventList", "EventSink", "Exchange",
    "ExchangeRules", "JsonlSink", "LoginResult", "NullSink", "OrderResult", "RecentEvents", "Settled", "TapePrint",
    "Trade", "TradeTape", "TradingHours", "check_password", "competition_score", "format_timestamp", "hash_password",
    "parse_timestamp",
]
