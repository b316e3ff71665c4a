"""The CMI API as plain functions over the exchange: one route table, served two ways.

`ExchangeService.handle(method, path, query, headers, body)` answers any REST request with a `Reply`
(status, JSON bytes, headers). The FastAPI app (`app.py`) and the backtester's in-process transport both
call it, so the live server and a backtest speak byte-identical JSON. The service is single-writer: its
callers serialise calls (the asyncio loop in `serve`, the one running greenlet in a backtest).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import NamedTuple

from cmi_sim.api import wire
from cmi_sim.api.order_ids import OrderIdCodec
from cmi_sim.api.order_request import BadRequest, parse_login, parse_order, shown
from cmi_sim.api.paths import normalize_path
from cmi_sim.sandbox.reply import JSON_HEADERS, Reply
from cmi_sim.api.streams import StreamHub, Subscription
from cmi_sim.exchange import Exchange, parse_timestamp
from cmi_sim.exchange.accounts import LoginAttempt

MAX_MESSAGE = 400  # characters of an error message: it may quote what the client sent, never at length


class TradePages(NamedTuple):
    """A long trade list, as the pieces of its JSON body (see `ExchangeService.trade_pages`)."""

    count: int
    chunks: Iterator[bytes]


TRADE_PAGE = 2000  # trades rendered per piece: a few milliseconds of the server's loop


def json_reply(status: int, payload: object, extra_headers: tuple[tuple[str, str], ...] = ()) -> Reply:
    return Reply(status, wire.dumps(payload), JSON_HEADERS + extra_headers)


def error_reply(status: int, message: str, extra_headers: tuple[tuple[str, str], ...] = ()) -> Reply:
    if len(message) > MAX_MESSAGE:
        message = message[:MAX_MESSAGE - 1] + "…"
    # A lone surrogate quoted from the request cannot be encoded as UTF-8: show it escaped.
    message = message.encode("utf-8", "backslashreplace").decode("utf-8")
    return json_reply(status, wire.message_json(message), extra_headers)


def is_json_content_type(value: str | None) -> bool:
    """`application/json` or `application/<anything>+json`, with any parameters."""
    if not value:
        return False
    media = value.split(";", 1)[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


@dataclass(frozen=True)
class Route:
    """One endpoint. `path` uses `{name}` for path parameters; `query` documents accepted parameters."""

    method: str
    path: str
    handler: str  # name of the ExchangeService method
    summary: str
    auth: bool = True
    query: tuple[str, ...] = ()
    body: dict | None = None  # JSON schema of the request body, for the OpenAPI document
    pattern: re.Pattern = field(init=False, repr=False, compare=False)
    label: str = field(init=False, repr=False, compare=False)  # "POST /api/order": rule reports per endpoint

    def __post_init__(self) -> None:
        regex = "^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", self.path) + "$"
        object.__setattr__(self, "pattern", re.compile(regex))
        object.__setattr__(self, "label", f"{self.method} {self.path}")


ORDER_BODY = {
    "type": "object",
    "required": ["product", "price", "side", "volume"],
    "properties": {
        "product": {"type": "string", "example": "TIDE_SPOT"},
        "price": {"type": "number", "example": 2950},
        "side": {"type": "string", "enum": ["BUY", "SELL"]},
        "volume": {"type": "integer", "example": 5},
    },
}
LOGIN_BODY = {
    "type": "object",
    "required": ["username", "password"],
    "properties": {"username": {"type": "string"}, "password": {"type": "string"}},
}

ROUTES: tuple[Route, ...] = (
    Route("POST", "/api/user/authenticate", "authenticate", "Log in; the token is in the Authorization response header",
          auth=False, body=LOGIN_BODY),
    Route("GET", "/api/product", "list_products", "The eight products, in exchange order"),
    Route("POST", "/api/order", "place_order", "Place a GTC limit order; matching happens before the reply",
          body=ORDER_BODY),
    Route("DELETE", "/api/order/{order_id}", "cancel_order", "Cancel one of your resting orders"),
    Route("DELETE", "/api/order", "cancel_at_price", "Cancel all your resting orders at one price",
          query=("product", "price")),
    Route("GET", "/api/order/current-user", "list_orders", "Your resting orders, oldest first",
          query=("productsymbol",)),
    Route("GET", "/api/product/{symbol}/order-book/current-user", "order_book",
          "A product's aggregated book with your share of each level"),
    Route("GET", "/api/position/current-user", "list_positions", "Your net position per traded product"),
    Route("GET", "/api/profit/current-user", "profit", "Your PnL: cash plus positions at the mark"),
    Route("GET", "/api/trade", "list_trades", "All trades on the exchange, oldest first", query=("from",)),
)
STREAM_PATH = "/api/market/stream"


class ExchangeService:
    """The exchange behind the CMI wire contract. `clock()` gives the current time in UTC nanoseconds.

    `require_json_content_type`: refuse a JSON body sent without a JSON Content-Type (415). A server
    sets it (it also stops cross-site form posts, which cannot send one); in-process callers need not.
    """

    require_json_content_type = False

    def __init__(self, exchange: Exchange, clock: Callable[[], int], seed: int = 0,
                 ids: OrderIdCodec | None = None) -> None:
        """`ids`: how order ids are spelled (default: a prefix from `seed`, reproducible for backtests; a
        server passes a random one, so ids never repeat across its runs)."""
        self.exchange = exchange
        self.clock = clock
        self.ids = ids or OrderIdCodec(seed)
        self.streams = StreamHub(exchange)

    # -- entry points -----------------------------------------------------------------------------

    def handle(self, method: str, target: str, query: Mapping[str, str], headers: Mapping[str, str],
               body: bytes) -> Reply:
        """Answer one REST request. Never raises for anything a client sends."""
        admitted = self._admit(method, target, headers)
        if isinstance(admitted, Reply):
            return admitted
        route, params, user, ts = admitted
        try:
            return getattr(self, route.handler)(ts, user, params, query, body)
        except BadRequest as error:
            return error_reply(400, str(error))

    def prepare(self, method: str, target: str, query: Mapping[str, str], headers: Mapping[str, str],
                body: bytes) -> Reply | LoginAttempt | TradePages | None:
        """For a server that keeps its loop free: the first step of the requests that may take long — a
        login (finish it with `finish_login` after `LoginAttempt.verify`, which can run in a thread) and a
        long trade list (its body in pages) — or the error reply they get; None for any other request
        (answer it with `handle`)."""
        route, _, _ = self._route(method.upper(), normalize_path(target))
        if route is None or route.handler not in ("authenticate", "list_trades"):
            return None
        admitted = self._admit(method, target, headers)
        if isinstance(admitted, Reply):
            return admitted
        try:
            if route.handler == "authenticate":
                return self.begin_login(body)
            pages = self.trade_pages(query)
        except BadRequest as error:
            return error_reply(400, str(error))
        return pages if pages.count > TRADE_PAGE else Reply(200, b"".join(pages.chunks))

    def _admit(self, method: str, target: str, headers: Mapping[str, str]) -> Reply | tuple:
        """(route, path parameters, user, timestamp) of a request that may go on, else its error reply."""
        path = normalize_path(target)
        route, params, allowed = self._route(method.upper(), path)
        if route is None:
            if allowed:
                return error_reply(405, f"method {shown(method)} not allowed on {shown(path)}; use {', '.join(allowed)}")
            return error_reply(404, f"no endpoint {shown(path)}")
        if (route.body is not None and self.require_json_content_type
                and not is_json_content_type(_header(headers, "content-type"))):
            # Also what stops a cross-site form (text/plain) from logging in or placing orders.
            return error_reply(415, f"{route.method} {route.path} takes a JSON body: send "
                                    "Content-Type: application/json")
        user = None
        ts = self.clock()
        if route.auth:
            user = self.user_for(headers)
            if user is None:
                return error_reply(401, "missing or invalid Authorization token: log in at /api/user/authenticate")
            if not self.exchange.record_request(ts, user, route.label):
                limit = self.exchange.rules.requests_per_second
                return error_reply(429, f"rate limit: more than {limit} request(s) per second",
                                   (("Retry-After", "1"),))
        return route, params, user, ts

    def endpoint_label(self, method: str, target: str) -> str:
        """`POST /api/order`, `DELETE /api/order/{order_id}`: a request's endpoint, for reports."""
        path = normalize_path(target)
        route, _, _ = self._route(method.upper(), path)
        return route.label if route is not None else f"{method.upper()} {path}"

    def user_for(self, headers: Mapping[str, str]) -> str | None:
        """The user of a request's Authorization header (`Bearer <token>` or the bare token)."""
        value = _header(headers, "authorization")
        if not value:
            return None
        token = value[7:] if value[:7].lower() == "bearer " else value
        return self.exchange.accounts.user_for_token(token.strip())

    def open_stream(self, headers: Mapping[str, str]) -> Subscription | Reply:
        """A new SSE subscription for the caller, or a 401 reply."""
        user = self.user_for(headers)
        if user is None:
            return error_reply(401, "missing or invalid Authorization token: log in at /api/user/authenticate")
        return self.streams.open(user)

    def close_stream(self, subscription: Subscription) -> None:
        self.streams.close(subscription)

    # -- handlers ---------------------------------------------------------------------------------

    def authenticate(self, ts, user, params, query, body) -> Reply:
        return self.finish_login(self.begin_login(body).verify())

    def begin_login(self, body: bytes) -> LoginAttempt:
        """The first step of a login (see `Accounts.begin_login`); raises BadRequest for a bad body."""
        username, password = parse_login(body)
        return self.exchange.accounts.begin_login(username, password)

    def finish_login(self, attempt: LoginAttempt) -> Reply:
        result = self.exchange.accounts.finish_login(attempt)
        if result.token is None:
            return error_reply(401, result.error or "login failed")
        return json_reply(200, {"message": f"logged in as {attempt.username}"},
                          (("Authorization", f"Bearer {result.token}"),))

    def list_products(self, ts, user, params, query, body) -> Reply:
        return json_reply(200, [wire.product_json(p) for p in self.exchange.products.values()])

    def place_order(self, ts, user, params, query, body) -> Reply:
        exchange = self.exchange
        request = parse_order(body, exchange.products, exchange.rules.max_order_volume)
        result = exchange.place(ts, user, request.product, request.side, request.price_ticks, request.volume)
        if result.rejection is not None:
            return error_reply(400, result.rejection.detail)
        accepted = result.accepted
        tick = exchange.products[request.product].tick_size
        volume = result.remaining if exchange.rules.order_volume == "remaining" else accepted.volume
        return json_reply(200, wire.order_json(self.ids.encode(accepted.order_id), result.status,
                                               accepted.product, accepted.side, accepted.price * tick, volume,
                                               result.filled, user, accepted.ts))

    def cancel_order(self, ts, user, params, query, body) -> Reply:
        wire_id = params["order_id"]
        number = self.ids.decode(wire_id)
        result = self.exchange.cancel(ts, user, number) if number is not None else None
        if result is None or not result.orders:
            return error_reply(404, f"no open order {shown(wire_id)} of yours")
        return json_reply(200, self._order_json(result.orders[0]))

    def cancel_at_price(self, ts, user, params, query, body) -> Reply:
        symbol, price = query.get("product"), query.get("price")
        if not symbol or price is None:
            raise BadRequest("cancel by price needs both ?product=SYMBOL and &price=PRICE")
        product = self.exchange.products.get(symbol)
        if product is None:
            raise BadRequest(f"unknown product {shown(symbol)}")
        try:
            ticks = float(price) / product.tick_size
        except ValueError:
            raise BadRequest(f"price must be a number, got {shown(price)}") from None
        if not ticks.is_integer() or ticks <= 0:
            return json_reply(200, [])  # no order can rest off the grid
        result = self.exchange.cancel_at_price(ts, user, symbol, int(ticks))
        return json_reply(200, [self._order_json(view) for view in result.orders])

    def list_orders(self, ts, user, params, query, body) -> Reply:
        symbol = query.get("productsymbol") or None
        return json_reply(200, [self._order_json(view) for view in self.exchange.orders(user, symbol)])

    def order_book(self, ts, user, params, query, body) -> Reply:
        product = self.exchange.products.get(params["symbol"])
        if product is None:
            return error_reply(404, f"unknown product {shown(params['symbol'])}")
        return json_reply(200, wire.rest_book_json(self.exchange.depth(product.symbol, user), product.tick_size))

    def list_positions(self, ts, user, params, query, body) -> Reply:
        return json_reply(200, wire.position_json(self.exchange.positions(user)))

    def profit(self, ts, user, params, query, body) -> Reply:
        return json_reply(200, wire.profit_json(user, self.exchange.pnl(user)))

    def list_trades(self, ts, user, params, query, body) -> Reply:
        return Reply(200, b"".join(self.trade_pages(query).chunks))

    def trade_pages(self, query: Mapping[str, str]) -> TradePages:
        """`GET /api/trade`'s body in pieces of `TRADE_PAGE` trades, joined the same bytes as one list.
        The tape only grows, so the trades up to its length now are fixed however slowly they are read."""
        since = query.get("from")
        try:
            since_ns = parse_timestamp(since) if since else None
        except ValueError as error:
            raise BadRequest(f"from: {shown(since)}: {error}"[:200]) from None
        tape, products = self.exchange.tape, self.exchange.products
        start, end = tape.index_at(since_ns), len(tape)
        trades, dumps, trade_json = tape.trades, wire.dumps, wire.trade_json

        def chunks() -> Iterator[bytes]:
            yield b"["
            for first in range(start, end, TRADE_PAGE):
                page = trades[first:min(first + TRADE_PAGE, end)]
                text = b",".join([dumps(trade_json(t, products[t.product].tick_size)) for t in page])
                yield text if first == start else b"," + text
            yield b"]"

        return TradePages(end - start, chunks())

    # -- internals --------------------------------------------------------------------------------

    def _order_json(self, view) -> dict:
        tick = self.exchange.products[view.product].tick_size
        return wire.resting_order_json(self.ids.encode(view.order_id), view, tick, self.exchange.rules.order_volume)

    def _route(self, method: str, path: str) -> tuple[Route | None, dict[str, str], list[str]]:
        allowed = []
        for route in ROUTES:
            match = route.pattern.match(path)
            if match is None:
                continue
            if route.method == method:
                return route, match.groupdict(), []
            allowed.append(route.method)
        if path == STREAM_PATH:
            allowed.append("GET")
        return None, {}, allowed


def _header(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    if value is None:
        for key, candidate in headers.items():
            if key.lower() == name:
                return candidate
    return value
