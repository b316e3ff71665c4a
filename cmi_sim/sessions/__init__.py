"""Sessions: a directory with a TOML manifest and data files, or a built-in one shipped in the package."""

from cmi_sim.sessions.manifest import MARKET_KINDS, RULE_DEFAULTS, SessionError
from cmi_sim.sessions.session import DEFAULT_SESSION, Session, list_builtin_sessions, load_session

__all__ = [
    "DEFAULT_SESSION",
    "MARKET_KINDS",
    "RULE_DEFAULTS",
    "Session",
    "SessionError",
    "list_builtin_sessions",
    "load_session",
]
