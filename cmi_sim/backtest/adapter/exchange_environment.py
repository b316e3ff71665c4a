"""The backtest's world: a session's exchange, market and data APIs behind the bot's HTTP requests.

`make_environment(ctx)` is the factory the runtime calls in the child process (see `runtime.EnvironmentContext`).
Requests to the data APIs' hosts are answered by the session's world data as of the virtual moment;
any `/api/...` request, whatever host the bot has hard-coded, goes to the CMI API (the same route
table as `cmi-sim serve`); anything else is refused. The synthetic or replayed market steps from world-priority
timers, so market data at T is published before bot wake-ups at T.
"""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from cmi_sim.api.paths import normalize_path
from cmi_sim.api.service import STREAM_PATH, ExchangeService
from cmi_sim.api.streams import Subscription
from cmi_sim.api.wire import KEEPALIVE
from cmi_sim.sandbox.environment import ConnectionRefused, Reply, StreamReply, Environment
from cmi_sim.backtest.adapter.trading_record import check_against_exchange, trading_record
from cmi_sim.sandbox.virtual_stream import VirtualStream
from cmi_sim.sandbox.vloop import PRIORITY_WORLD
from cmi_sim.backtest.adapter.rejections import RejectionCount, count_reply
from cmi_sim.backtest.adapter.run_sink import RunSink
from cmi_sim.exchange import ExchangeRules
from cmi_sim.sessions import load_session
from cmi_sim.simulation import Simulation

PROGRESS_EVERY_NS = 600_000_000_000  # the parent's progress bar is fed every 10 virtual minutes
STREAM_HEADERS = (("Content-Type", "text/event-stream; charset=utf-8"), ("Cache-Control", "no-cache"))


class SubscriptionStream(VirtualStream):
    """The server side of one SSE response in virtual time (the `ByteStream` the transport reads): the
    frames of one exchange subscription."""

    def __init__(self, service: ExchangeService, subscription: Subscription, ctx: Any) -> None:
        super().__init__(ctx, KEEPALIVE)
        self._service = service
        self._subscription = subscription
        self._take = subscription.take
        subscription.waker = self._event.set

    def _source_closed(self) -> bool:
        return self._subscription.closed

    def close(self) -> None:
        self._stop_alarm()
        self._service.close_stream(self._subscription)


class ExchangeEnvironment:
    def __init__(self, ctx: Any) -> None:
        args = ctx.config
        self.ctx = ctx
        self.session = load_session(args["session"], seed=args.get("seed"))
        rules = ExchangeRules(**args["rules"]) if args.get("rules") else None
        self.events_path = Path(args["events_path"]) if args.get("events_path") else None
        self.events_mode = args.get("events", "full")
        # Events stream to events.jsonl as they happen (as the mode says); the trades stay in memory.
        self.journal = RunSink(self.events_mode, self.events_path)
        self.simulation = Simulation(self.session, ctx.now_ns, seed=args.get("seed"), rules=rules,
                                     journal=self.journal)
        self.service = self.simulation.service
        self.data = self.simulation.data
        self.settle_at_end = bool(args.get("settle", True))
        self.record_path = Path(args["record_path"]) if args.get("record_path") else None
        self.rejected = RejectionCount()
        self.progress_path = Path(args["progress_path"]) if args.get("progress_path") else None
        self.final_pnl: dict[str, dict[str, float]] | None = None
        self._next_progress = 0  # virtual ns at which the progress file is next written
        self.market_accounts = set(self.simulation.market.accounts) if self.simulation.market else set()

    # -- the router -------------------------------------------------------------------------------

    def route(self, method: str, url: str, headers: Any, body: bytes | None) -> Reply | StreamReply:
        host, path, query_items = _target(url)
        if host in self.data.hosts:
            status, payload = self.data.handle(method, url, headers, body, now_ns=self.ctx.now_ns())
            return Reply(status, json.dumps(payload).encode())
        if not path.startswith("/api/"):
            raise ConnectionRefused(url)
        if path == STREAM_PATH and method.upper() == "GET":
            opened = self.service.open_stream(headers)
            if not isinstance(opened, Subscription):
                return opened
            return StreamReply(200, STREAM_HEADERS, SubscriptionStream(self.service, opened, self.ctx))
        reply = self.service.handle(method, path, dict(query_items), headers, body or b"")
        count_reply(self.rejected, self.service, method, path, headers, reply)
        return reply

    # -- greenlets and hooks ----------------------------------------------------------------------

    def run_market(self) -> None:
        """The market's first step, at the open. Each later step runs from a world-priority timer,
        exactly where a market greenlet sleeping until then would wake (the ordering contract), but
        without two greenlet switches per step: a market step never blocks."""
        self._next_progress = self.ctx.now_ns()
        self._market_step()

    def _market_step(self) -> None:
        ctx = self.ctx
        try:
            wake = self.simulation.market_step(ctx.now_ns())
        except Exception as exc:  # noqa: BLE001 - reported in the result; the market stops, the run goes on
            ctx.report_error("market", exc)
            return
        if wake is None or wake >= ctx.end_ns:
            return
        if self.progress_path is not None and wake >= self._next_progress:
            self.progress_path.write_text(str(wake))
            self._next_progress = wake + PROGRESS_EVERY_NS
        ctx.call_at(wake, self._market_step, PRIORITY_WORLD)

    def on_end(self) -> None:
        if self.settle_at_end:
            self.final_pnl = self.simulation.settle(self.ctx.now_ns())

    def result(self) -> dict[str, Any]:
        exchange = self.simulation.exchange
        exchange.journal.close()  # everything on file before the parent reads it
        accounts = exchange.accounts.usernames()
        traders = [name for name in accounts if name not in self.market_accounts]
        pnl = self.final_pnl if self.final_pnl is not None else {a: exchange.pnl(a) for a in exchange.ledger.accounts()}
        market = self.simulation.market
        records, record_errors = {}, []
        for name in traders:
            record = trading_record(self.journal.trades, name, exchange.products, self.service.ids.encode,
                                    pnl.get(name, {}), self.ctx.now_ns())
            mismatch = check_against_exchange(record, exchange.positions(name))
            if mismatch:
                record_errors.append(f"{name}: {mismatch}")
            records[name] = record
        if self.record_path is not None:
            self.record_path.write_text(json.dumps(records, separators=(",", ":")))
        rejected = self.rejected.by_account()
        return {
            "session": self.session.name,
            "market": market.describe() if market is not None else {"kind": "none"},
            "settled": self.final_pnl is not None,
            "settlement": dict(self.session.settlement_values) if self.final_pnl is not None else None,
            "traders": traders,
            "market_accounts": sorted(self.market_accounts),
            "pnl": pnl,
            "requests": {name: {"requests": exchange.rates.stats(name).requests,
                                "violations": exchange.rates.stats(name).violations,
                                "violations_by_endpoint": dict(sorted(exchange.rates.stats(name).by_endpoint.items()))}
                         for name in traders},
            "rejected": rejected,
            "positions": {name: exchange.positions(name) for name in traders},
            "rules": dataclasses.asdict(exchange.rules),
            "events": {"mode": self.events_mode},
            "record_errors": record_errors,
            "n_events": exchange.journal.count,
            "n_trades": len(exchange.tape),
        }


# The usual shape of a bot's URL (http, a plain host name, a path, maybe a query), which urlsplit would
# split the same way; anything else (userinfo, IPv6, fragments, odd characters) goes through urlsplit.
_PLAIN_URL = re.compile(r"https?://([A-Za-z0-9.-]+)(?::[0-9]+)?(/[!$-;=@-~]*)?(?:\?([!$-~]*))?\Z")


def _target(url: str) -> tuple[str, str, tuple[tuple[str, str], ...]]:
    """(lower-case host, normalised path, query pairs) of a URL, as urlsplit gives them."""
    match = _PLAIN_URL.match(url)
    if match is not None and "#" not in url:
        host, path, query = match.groups()
    else:
        parts = urlsplit(url)
        host, path, query = parts.hostname or "", parts.path, parts.query
    return (host.lower(), normalize_path(path or "/"),
            tuple(parse_qsl(query, keep_blank_values=True)) if query else ())


def make_environment(ctx: Any) -> Environment:
    world = ExchangeEnvironment(ctx)
    return Environment(router=world.route, background=[world.run_market], on_end=world.on_end, result=world.result)
