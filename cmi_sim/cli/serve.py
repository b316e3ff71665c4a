"""`cmi-sim serve`: a local CMI Exchange that bots written for the real one run against unmodified."""

from __future__ import annotations

import random
import time
from datetime import datetime, timezone
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
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise user_error(f"{option}: expected an ISO time like 2026-02-28T14:30Z, got {text!r}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return int(moment.timestamp()) * 1_000_000_000


def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(8000, help="Port to listen on (0 picks a free one)."),
    accounts: Path | None = typer.Option(None, help="TOML accounts file: strict mode (only these users may log in)."),
    position_limit: int = typer.Option(100, help="Net position limit per product."),
    limit_counts_resting: bool = typer.Option(False, help="Count resting same-side volume against the limit."),
    order_volume: OrderVolume = typer.Option(OrderVolume.remaining, help="What an order's `volume` reports."),
    rate_limit: RateLimit = typer.Option(RateLimit.report, help="One-request-per-second rule: off, report or enforce (429)."),
    self_trade: SelfTrade = typer.Option(SelfTrade.allow, help="Allow self-trades, or prevent them (cancel the resting order)."),
    mark: Mark = typer.Option(Mark.last, help="Mark-to-market price for PnL: last trade or mid."),
    open_at: str | None = typer.Option(None, "--open", help="Trading opens at this UTC time (default: open now)."),
    close_at: str | None = typer.Option(None, "--close", help="Trading closes at this UTC time (default: never)."),
    seed: int = typer.Option(0, help="Seed for order ids."),
    log_level: str = typer.Option("warning", help="uvicorn log level."),
) -> None:
    """Serve the CMI Exchange API (REST + SSE) on HOST:PORT.

    \b
    Examples:
      cmi-sim serve --port 8000
      python bots/quoter.py --url http://127.0.0.1:8000 --username alice --password pw
      HTTP_PROXY=http://127.0.0.1:8000 python my_bot.py     # a bot with a hard-coded exchange URL
    """
    from cmi_sim.api.accounts_file import AccountsFileError, load_accounts
    from cmi_sim.api.app import create_app
    from cmi_sim.api.server import ExchangeServer
    from cmi_sim.api.service import ExchangeService
    from cmi_sim.exchange import Accounts, Exchange, ExchangeRules, TradingHours
    from cmi_sim.products import cmi_products

    try:
        rules = ExchangeRules(position_limit=position_limit, limit_counts_resting=limit_counts_resting,
                              order_volume=order_volume.value, rate_limit=rate_limit.value,
                              self_trade=self_trade.value, mark=mark.value)
    except ValueError as error:
        raise user_error(str(error)) from None
    opens, closes = _parse_time(open_at, "--open"), _parse_time(close_at, "--close")
    hours = None
    if opens is not None or closes is not None:
        hours = TradingHours(opens if opens is not None else 0, closes if closes is not None else 2**63 - 1)
    system_random = random.SystemRandom()  # live tokens and salts need not be reproducible
    try:
        book = load_accounts(accounts, system_random) if accounts else Accounts(rng=system_random)
    except AccountsFileError as error:
        raise user_error(str(error)) from None
    exchange = Exchange(cmi_products(), rules, hours, book)
    service = ExchangeService(exchange, time.time_ns, seed)
    server = ExchangeServer(create_app(service), host, port, log_level)
    _announce_when_started(server, accounts is not None)
    server.run()


def _announce_when_started(server, strict: bool) -> None:
    original_startup = server.startup

    async def startup(sockets=None):
        await original_startup(sockets)
        if server.started:
            url = server.url
            typer.echo(f"cmi-sim: CMI Exchange listening on {url}  (docs: {url}/docs)")
            typer.echo(f"  accounts: {'strict (accounts file)' if strict else 'open: the first login creates an account'}")
            typer.echo(f"  point a bot at it:  python bot.py --url {url}")
            typer.echo(f"  or, for a hard-coded exchange URL:  HTTP_PROXY={url} python bot.py")
            typer.echo("  Ctrl-C to stop.")

    server.startup = startup


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
