"""From what a user asks for to a validated `RunSpec`: every setting is checked here, before any run,
and a broken one is refused with a `ConfigError` that names it."""

from __future__ import annotations

import ast
import re
from dataclasses import asdict
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from cmi_sim import __version__
from cmi_sim.backtest.spec import REAL_EXCHANGE_LATENCY_MS
from cmi_sim.backtest.digests import code_digest, session_digest
from cmi_sim.backtest.spec import EVENTS_MODES, Participant, RunSpec, SessionRef
from cmi_sim.exchange import ExchangeRules, format_timestamp
from cmi_sim.sandbox.utc import parse_iso_ns
from cmi_sim.sessions import DEFAULT_SESSION, Session, SessionError, load_session

_DURATION = re.compile(r"^(\d+(?:\.\d+)?)\s*([smhd])$")
_UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86400}
RULE_OPTIONS = ("position_limit", "limit_counts_resting", "order_volume", "rate_limit", "requests_per_second",
                "self_trade", "mark", "max_order_volume")


class ConfigError(ValueError):
    """A setting that cannot make a run: the message names the setting (and the file, for sessions)."""


def parse_until(text: str, session: Session) -> int:
    """An ISO UTC time, or a duration from the trading open such as `90m`, `6h`."""
    match = _DURATION.match(text.strip())
    if match:
        return session.open_ns + round(float(match.group(1)) * _UNIT_S[match.group(2)] * 1e9)
    try:
        return parse_iso_ns(text)
    except ValueError:
        raise ConfigError(f"--until: expected a UTC time like 2026-02-28T18:00Z or a duration like 6h, "
                          f"got {text!r}") from None


def parse_entry(expression: str) -> tuple[str, str, list[Any], dict[str, Any]]:
    """`Class.method(args)` -> (class, method, literal args, literal keyword args)."""
    try:
        node = ast.parse(expression.strip(), mode="eval").body
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name)):
            raise ValueError
        args = [ast.literal_eval(arg) for arg in node.args]
        kwargs = {kw.arg: ast.literal_eval(kw.value) for kw in node.keywords if kw.arg}
    except (SyntaxError, ValueError):
        raise ConfigError(f"--entry: expected ClassName.method(literal arguments), got {expression!r}") from None
    return node.func.value.id, node.func.attr, args, kwargs


def load_checked_session(source: str | Path, seed: int | None) -> Session:
    """The session, with its market's settings checked as the run would build them."""
    try:
        session = load_session(source, seed=seed)
        check_market_settings(session)
    except SessionError as error:
        raise ConfigError(f"session {source}: {error}") from None
    return session


def check_market_settings(session: Session) -> None:
    """Refuse unknown or invalid `[market.params]` now, not inside the run (where the error would only
    reach the bot's stderr)."""
    manifest = Path(session.path) / "session.toml"
    kind = session.market.get("kind", "none")
    params = dict(session.market.get("params", {}))
    try:
        if kind == "synthetic":
            from cmi_sim.market import MarketParams

            MarketParams.from_mapping(params)
        elif kind == "replay":
            from replay.market import PARAMS

            unknown = sorted(set(params) - set(PARAMS))
            if unknown:
                raise ValueError(f"unknown [market.params] setting(s): {', '.join(unknown)} "
                                 f"(known: {', '.join(sorted(PARAMS))})")
        elif params:
            raise ValueError(f"[market.params] {', '.join(sorted(params))}: a market of kind {kind!r} takes none")
    except ValueError as error:
        raise SessionError(f"{manifest}: {error}") from None


def resolve_rules(session: Session, overrides: Mapping[str, Any] | None) -> dict[str, Any]:
    """The session's rules with the options on top, validated; unknown names refused."""
    given = {key: value for key, value in (overrides or {}).items() if value is not None}
    unknown = sorted(set(given) - set(RULE_OPTIONS))
    if unknown:
        raise ConfigError(f"unknown rule option(s): {', '.join(unknown)} (known: {', '.join(RULE_OPTIONS)})")
    try:
        rules = ExchangeRules.from_mapping(dict(session.rules) | given)
    except ValueError as error:
        raise ConfigError(f"rules: {error}") from None
    return asdict(rules)


def participant(script: str | Path, *, account: str | None = None, args: Sequence[str] = (),
                env: Mapping[str, str] | None = None, cwd: str | Path | None = None,
                python: str | None = None, entry: str | None = None) -> Participant:
    """A checked participant: the script exists, the entry expression parses."""
    path = Path(script).expanduser()
    if not path.is_file():
        raise ConfigError(f"bot: no bot file {script}")
    path = path.resolve()
    if entry is not None:
        parse_entry(entry)
    if cwd is not None and not Path(cwd).is_dir():
        raise ConfigError(f"cwd: no directory {cwd}")
    if python is not None and not Path(python).is_file():
        raise ConfigError(f"python: no interpreter {python}")
    return Participant(script=str(path), code_digest=code_digest(path), account=account,
                       args=tuple(str(a) for a in args), env=tuple(sorted((env or {}).items())),
                       cwd=str(Path(cwd or Path.cwd()).resolve()), python=python, entry=entry)


def build_spec(bot: str | Path | Participant | Sequence[Participant], *, session: str | Path = DEFAULT_SESSION,
               seed: int | None = None, account: str | None = None, args: Sequence[str] = (),
               entry: str | None = None, until: str | None = None, rules: Mapping[str, Any] | None = None,
               events: str = "full", latency_ms: float = REAL_EXCHANGE_LATENCY_MS, grace_s: float = 10.0, watchdog_s: float = 30.0,
               wall_limit_s: float = 3600.0, env: Mapping[str, str] | None = None,
               cwd: str | Path | None = None, python: str | None = None) -> RunSpec:
    """A validated, hashed run. `bot` is a script path (with `account`, `args`, `entry` ... for it), or
    ready `Participant`s."""
    if isinstance(bot, Participant):
        participants: tuple[Participant, ...] = (bot,)
    elif isinstance(bot, (str, Path)):
        participants = (participant(bot, account=account, args=args, env=env, cwd=cwd, python=python,
                                    entry=entry),)
    else:
        participants = tuple(bot)
    if events not in EVENTS_MODES:
        raise ConfigError(f"--events: expected one of {', '.join(EVENTS_MODES)}, got {events!r}")
    for name, value in (("--latency-ms", latency_ms), ("--grace", grace_s)):
        if not value >= 0:
            raise ConfigError(f"{name}: must be zero or more, got {value}")
    for name, value in (("--watchdog", watchdog_s), ("--wall-limit", wall_limit_s)):
        if not value > 0:
            raise ConfigError(f"{name}: must be positive, got {value}")
    loaded = load_checked_session(session, seed)
    end_ns = loaded.close_ns if until is None else parse_until(until, loaded)
    if not loaded.open_ns < end_ns <= loaded.close_ns:
        raise ConfigError(f"--until: must fall within trading hours, {format_timestamp(loaded.open_ns)} to "
                          f"{format_timestamp(loaded.close_ns)}")
    ref = SessionRef(name=loaded.name, source=str(session), path=str(Path(loaded.path).resolve()),
                     digest=session_digest(loaded))
    return RunSpec(
        participants=participants, session=ref, seed=loaded.seed, seed_override=seed,
        rules=tuple(sorted(resolve_rules(loaded, rules).items())), start=format_timestamp(loaded.open_ns),
        end=format_timestamp(end_ns), settle=end_ns == loaded.close_ns, latency_ms=float(latency_ms),
        grace_s=float(grace_s), events=events, version=__version__, watchdog_s=float(watchdog_s),
        wall_limit_s=float(wall_limit_s))
