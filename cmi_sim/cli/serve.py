"""`cmi-sim serve`: a local CMI Exchange that bots written for the real one run against unmodified."""

from __future__ import annotations

import asyncio
import os
import random
import time
from enum import Enum
from pathlib import Path

import typer

from cmi_sim.cli.errors import user_error


class OrderVolume(str, Enum):
    remaining = "remaining"
    original = "original"


class RateLimit(str, Enum):
    off = "off"
    report = "report"
    enforce = "enforce"


class SelfTrade(str, Enum):
    allow = "allow"
    prevent = "prevent"


class Mark(str, Enum):
    last = "last"
    mid = "mid"


def _parse_time(text: str | None, option: str) -> int | None:
    if text is None:
        return None
    from cmi_sim.sandbox.utc import parse_iso_ns  # naive times are UTC

    try:
        return parse_iso_ns(text)
    except ValueError:
        raise user_error(f"{option}: expected an ISO time like 2026-02-28T14:30Z, got {text!r}") from None


def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(8000, help="Port to listen on (0 picks a free one)."),
    session_name: str | None = typer.Option(
        None, "--session", metavar="NAME|DIR",
        help="Run a session (built-in name or directory): its products, starting prices, trading hours, "
             "rules and synthetic market. Flags below override the session's values."),
    speed: float = typer.Option(1.0, help="With --session: session seconds per wall second (60 = a minute a second)."),
    start: str | None = typer.Option(None, help="With --session: the session time the clock starts at "
                                                "(UTC, e.g. 2026-02-28T20:00Z; default: the trading open)."),
    accounts: Path | None = typer.Option(None, help="TOML accounts file: strict mode (only these users may log in)."),
    position_limit: int | None = typer.Option(None, help="Net position limit per product [default: 100, or the session's]."),
    limit_counts_resting: bool | None = typer.Option(
        None, "--limit-counts-resting/--no-limit-counts-resting",
        help="Count resting same-side volume against the limit, so no fill passes it [default: yes, or the session's]."),
    order_volume: OrderVolume | None = typer.Option(None, help="What an order's `volume` reports [default: remaining]."),
    rate_limit: RateLimit | None = typer.Option(None, help="One-request-per-second rule: off, report or enforce (429) [default: report]."),
    self_trade: SelfTrade | None = typer.Option(None, help="Allow self-trades, or prevent them (cancel the resting order) [default: allow]."),
    mark: Mark | None = typer.Option(None, help="Mark-to-market price for PnL: last trade or mid [default: last]."),
    open_at: str | None = typer.Option(None, "--open", help="Trading opens at this UTC time (default: open now, or the session's open)."),
    close_at: str | None = typer.Option(None, "--close", help="Trading closes at this UTC time (default: never, or the session's close)."),
    seed: int | None = typer.Option(None, help="Seed for the session's market (default: the session's seed, else 0)."),
    journal: Path | None = typer.Option(
        None, "--journal", metavar="DIR",
        help="Crash-safe journal directory: every acknowledged request is on file before its reply, and a "
             "restart on the same DIR restores accounts, tokens, orders, positions, cash and the tape."),
    log_level: str = typer.Option("warning", help="uvicorn log level."),
    proxy_port: int | None = typer.Option(
        None, help="Also run an HTTP and HTTPS (CONNECT) forward proxy on this port (0 picks one) for the data "
                   "APIs' hosts and the exchange's; HTTPS through a local certificate authority."),
    ca_dir: Path | None = typer.Option(None, help="Where the proxy's certificate authority lives [default: ~/.cmi-sim/ca]."),
    exchange_host: list[str] | None = typer.Option(
        None, help="Another host name the proxy treats as the exchange (repeatable); the real exchange's is built in."),
) -> None:
    """Serve the CMI Exchange API (REST + SSE) on HOST:PORT.

    \b
    Examples:
      cmi-sim serve --port 8000
      cmi-sim serve --session london-2026-02-28 --speed 60     # the London day with a synthetic market
      python bots/quoter.py --url http://127.0.0.1:8000 --username alice --password pw
      HTTP_PROXY=http://127.0.0.1:8000 python my_bot.py     # a bot with a hard-coded exchange URL
      cmi-sim serve --session london-2026-02-28 --proxy-port 8080   # HTTPS data APIs for any language
      cmi-sim run my_bot.py --exchange http://127.0.0.1:8000   # a Python bot on the session clock
    """
    from cmi_sim.api.accounts_file import AccountsFileError, load_accounts
    from cmi_sim.api.app import create_app
    from cmi_sim.api.order_ids import OrderIdCodec
    from cmi_sim.api.server import ExchangeServer
    from cmi_sim.api.service import ExchangeService
    from cmi_sim.exchange import Accounts, Exchange, ExchangeRules, NullSink, TradingHours
    from cmi_sim.live.door import attach_live_door
    from cmi_sim.products import cmi_products

    if session_name is None and (start is not None or speed != 1.0):
        raise user_error("--speed and --start need --session")
    flags = {"position_limit": position_limit, "limit_counts_resting": limit_counts_resting,
             "order_volume": order_volume, "rate_limit": rate_limit, "self_trade": self_trade, "mark": mark}
    overrides = {k: v.value if isinstance(v, Enum) else v for k, v in flags.items() if v is not None}
    session = _load_session(session_name, seed) if session_name is not None else None
    try:
        rules = ExchangeRules.from_mapping((dict(session.rules) if session else {}) | overrides)
    except ValueError as error:
        raise user_error(str(error)) from None
    opens, closes = _parse_time(open_at, "--open"), _parse_time(close_at, "--close")
    if session is not None:
        opens = session.open_ns if opens is None else opens
        closes = session.close_ns if closes is None else closes
    hours = None
    if opens is not None or closes is not None:
        hours = TradingHours(opens if opens is not None else 0, closes if closes is not None else 2**63 - 1)
    system_random = random.SystemRandom()  # live tokens and salts need not be reproducible
    try:
        book = load_accounts(accounts, system_random) if accounts else Accounts(rng=system_random)
    except AccountsFileError as error:
        raise user_error(str(error)) from None
    live = None
    if session is None:
        exchange = Exchange(cmi_products(), rules, hours, book, NullSink())  # a server keeps no history
        service = ExchangeService(exchange, time.time_ns, seed or 0)
        market_accounts, clock = (), None
    else:
        live = _live_session(session, rules, hours, book, seed, speed, start)
        service, clock = live.service, live.clock
        market_accounts = live.simulation.market.accounts if live.simulation.market else ()
    background = [] if live is None else [lambda: live.run_market(typer.echo, lambda text: typer.echo(text, err=True))]
    banner = live.banner() if live else None
    durable = _open_journal(journal, service, market_accounts, clock, banner) if journal is not None else None
    if durable is not None:
        background.append(lambda: _sync_journal(durable))
    else:
        service.ids = OrderIdCodec.random()  # ids of an earlier run never name this run's orders
    server = ExchangeServer(create_app(service), host, port, log_level, background=background)
    extra_hosts = frozenset(exchange_host or ())
    attach_live_door(server, live, extra_hosts)
    if proxy_port is not None:
        _add_proxy(server, proxy_port, ca_dir, extra_hosts)
    _announce_when_started(server, accounts is not None, banner)
    try:
        server.run()
    finally:
        if durable is not None:
            durable.close()


def _open_journal(directory: Path, service, market_accounts, clock, banner: list[str] | None):
    """Restore from (or start) the journal in `directory`; the market's old quotes are withdrawn (a
    fresh market quotes anew) and a session clock resumes where the journal ends."""
    import secrets

    from cmi_sim.api.order_ids import OrderIdCodec
    from cmi_sim.exchange import format_timestamp
    from cmi_sim.exchange.durable import DurableJournal, JournalError

    durable = DurableJournal(directory)
    exchange = service.exchange
    try:
        restored = durable.open(exchange, exchange.accounts, secrets.randbits(64))
    except JournalError as error:
        raise user_error(str(error)) from None
    service.ids = OrderIdCodec(prefix_bits=restored.order_id_prefix)
    if clock is not None and restored.last_ts >= clock.start_ns:
        clock.start_ns = restored.last_ts + 1
    now = clock() if clock is not None else time.time_ns()
    for name in market_accounts:
        for view in exchange.orders(name):
            exchange.cancel(max(now, restored.last_ts), name, view.order_id)
    durable.flush()
    line = (f"  journal: {directory} (restored {restored.events} events, {restored.accounts} accounts, "
            f"{restored.tokens} tokens; last event {format_timestamp(restored.last_ts)[:19]}Z)"
            if restored.events or restored.accounts else f"  journal: {directory} (new)")
    if banner is not None:
        banner.append(line)
    else:
        typer.echo(line)
    return durable


async def _sync_journal(durable) -> None:
    """The journal's files reach the disk within about a second (they reach the OS before each reply)."""
    from cmi_sim.exchange.durable import SYNC_SECONDS

    while True:
        await asyncio.sleep(SYNC_SECONDS)
        durable.flush()
        await asyncio.gather(*(asyncio.to_thread(os.fsync, fd) for fd in durable.file_numbers()))


def _add_proxy(server, port: int, ca_dir: Path | None, exchange_hosts: frozenset[str]) -> None:
    from cmi_sim.live.ca import DEFAULT_CA_DIR
    from cmi_sim.live.proxy import proxy_for, serve_proxy

    try:
        proxy = proxy_for(server, ca_dir or DEFAULT_CA_DIR, exchange_hosts)
    except (OSError, ValueError) as error:
        raise user_error(f"--ca-dir: cannot use the certificate authority: {error}") from None
    server.background += (lambda: serve_proxy(server, proxy, port, typer.echo),)


def _load_session(name: str, seed: int | None):
    from cmi_sim.sessions import SessionError, load_session

    try:
        return load_session(name, seed=seed)
    except SessionError as error:
        raise user_error(str(error)) from None


def _live_session(session, rules, hours, book, seed: int | None, speed: float, start: str | None):
    from cmi_sim.exchange import NullSink
    from cmi_sim.live.session_run import LiveSession
    from cmi_sim.sessions import SessionError

    try:
        return LiveSession(session, rules, hours, book, seed, speed, _parse_time(start, "--start"), NullSink())
    except (ValueError, SessionError) as error:
        raise user_error(str(error)) from None


def _announce_when_started(server, strict: bool, banner: list[str] | None) -> None:
    original_startup = server.startup

    async def startup(sockets=None):
        await original_startup(sockets)
        if server.started:
            url = server.url
            typer.echo(f"cmi-sim: CMI Exchange listening on {url}  (docs: {url}/docs)")
            for line in banner or ():
                typer.echo(line)
            typer.echo(f"  accounts: {'strict (accounts file)' if strict else 'open: the first login creates an account'}")
            typer.echo(f"  point a bot at it:  python bot.py --url {url}")
            typer.echo(f"  or, for a hard-coded exchange URL:  HTTP_PROXY={url} python bot.py")
            typer.echo(f"  or a Python bot on the session clock, with its data APIs:  cmi-sim run bot.py --exchange {url}")
            typer.echo("  Ctrl-C to stop.")

    server.startup = startup


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
