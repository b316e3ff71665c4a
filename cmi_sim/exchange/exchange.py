"""The exchange core: the rules of the CMI Exchange around the pure matching engine.

Pure like the engine: every command carries its timestamp and nothing reads a clock. Every change is
an event written to the exchange's sink (the one event stream, see `journal.py`: kept in memory by
default, streamed to a file or dropped by a server) and passed to listeners; rejections are events
too, with a reason code and a sentence the API shows to the client.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Mapping
from typing import NamedTuple

from cmi_sim.engine import (
    BAD_VOLUME,
    CancelRejected,
    Depth,
    Event,
    Fill,
    MatchingEngine,
    OrderAccepted,
    OrderCancelled,
    OrderRejected,
    OrderView,
    SIDE_NAMES,
    Settled,
    TapePrint,
)
from cmi_sim.exchange.accounts import Accounts, LoginResult
from cmi_sim.exchange.journal import EventList, EventSink
from cmi_sim.exchange.ledger import Ledger
from cmi_sim.exchange.rates import RateMeter
from cmi_sim.exchange.resting import RestingVolumes
from cmi_sim.exchange.rules import ExchangeRules
from cmi_sim.exchange.tape import Trade, TradeTape
from cmi_sim.products import Product

POSITION_LIMIT = "position_limit"
MARKET_CLOSED = "market_closed"

Listener = Callable[[list[Event], list[Trade]], None]

_new = tuple.__new__  # builds a NamedTuple without its Python-level __new__ (hot path)


class TradingHours(NamedTuple):
    """Orders are accepted in [open_ns, close_ns)."""

    open_ns: int
    close_ns: int


class OrderResult(NamedTuple):
    """What placing an order did."""

    events: list[Event]
    trades: list[Trade]
    accepted: OrderAccepted | None
    rejection: OrderRejected | None
    filled: int

    @property
    def remaining(self) -> int:
        return self.accepted.volume - self.filled if self.accepted is not None else 0

    @property
    def status(self) -> str:
        """ACTIVE (rests, nothing filled), PART_FILLED (rests, partly filled), FILLED, or REJECTED."""
        if self.accepted is None:
            return "REJECTED"
        if self.filled == 0:
            return "ACTIVE"
        return "FILLED" if self.filled == self.accepted.volume else "PART_FILLED"


class CancelResult(NamedTuple):
    events: list[Event]
    accepted: list[OrderAccepted]  # the acceptance of each cancelled order, in the order of the cancels

    @property
    def orders(self) -> list[OrderView]:
        """The cancelled orders as they stood: fixed fields from their acceptance, open volume from the
        cancel (built on demand: the hot path only needs the events)."""
        cancels = [event for event in self.events if type(event) is OrderCancelled]
        return [OrderView(a.order_id, a.owner, a.product, a.side, a.price, a.volume, c.volume, a.ts)
                for a, c in zip(self.accepted, cancels)]


class Exchange:
    """Products, books, accounts, positions, cash, the trade tape and the rules, driven by commands."""

    def __init__(self, products: Iterable[Product], rules: ExchangeRules | None = None,
                 hours: TradingHours | None = None, accounts: Accounts | None = None,
                 journal: EventSink | None = None) -> None:
        self.products: dict[str, Product] = {p.symbol: p for p in products}
        self.rules = rules or ExchangeRules()
        self.hours = hours
        self.accounts = accounts or Accounts()
        self._seq = itertools.count(1)
        self.engine = MatchingEngine(self.products, self.rules.self_trade, self._seq)
        self.tape = TradeTape()
        self.ledger = Ledger()
        self.rates = RateMeter(self.rules.requests_per_second)
        self.journal: EventSink = journal if journal is not None else EventList()
        self._record = self.journal.write
        self.settlement: dict[str, float] | None = None
        self._listeners: tuple[Listener, ...] = ()  # replaced, never mutated: notifying needs no copy
        # The rules as plain attributes for place()'s inline check; settlement closes the window.
        self._open_ns, self._close_ns = (self.hours.open_ns, self.hours.close_ns) if self.hours else (-2**63, 2**63)
        self._max_volume = self.rules.max_order_volume
        self._limit = self.rules.position_limit
        self._counts_resting = self.rules.limit_counts_resting
        self.resting = RestingVolumes()  # open volume per (owner, product, side), for the limit
        self._resting = self.resting.volumes
        self._limit_exempt: set[str] = set()

    # -- commands ---------------------------------------------------------------------------------

    def login(self, username: str, password: str) -> LoginResult:
        return self.accounts.login(username, password)

    def record_request(self, ts: int, account: str, endpoint: str = "") -> bool:
        """Count one REST request; False when the rate rule is enforced and this request breaks it.
        Violations are also counted per `endpoint` (a label such as "POST /api/order")."""
        rules = self.rules
        if rules.rate_limit == "off":
            return True
        within = self.rates.record(account, ts, endpoint)
        return within or rules.rate_limit != "enforce"

    def place(self, ts: int, owner: str, product: str, side: int, price: int, volume: int) -> OrderResult:
        """Validate against the rules, then match. Rejections leave every book and position unchanged."""
        if product in self.products and type(volume) is int:
            # The common case inline (open market, sane size, within the limit); anything else takes the
            # slow path that names the broken rule.
            positions = self.ledger.positions.get(owner)
            after = (positions.get(product, 0) if positions else 0) + side * volume
            if self._counts_resting:
                after += side * self._resting.get((owner, product, side), 0)
            if not (self._open_ns <= ts < self._close_ns and volume <= self._max_volume
                    and -self._limit <= after <= self._limit):
                detail = self._rule_breach(ts, owner, product, side, volume)
                if detail is not None:
                    rejection = OrderRejected(next(self._seq), ts, owner, product, side, price, volume, *detail)
                    return self._publish_rejection(rejection)
        events = self.engine.submit(ts, owner, product, side, price, volume)
        first = events[0]
        if type(first) is OrderRejected:
            return self._publish_rejection(first)
        trades: list[Trade] = []
        filled = 0
        if len(events) == 1:  # rests whole (the common case, inline)
            key = (owner, product, side)
            self._resting[key] = self._resting.get(key, 0) + volume
        else:
            self.resting.apply(events)
            tape, ledger = self.tape, self.ledger
            for event in events:
                if type(event) is Fill:
                    maker, qty, fill_price = event.maker, event.volume, event.price
                    buyer, seller = (owner, maker) if side == 1 else (maker, owner)
                    trade = tape.record(ts, product, buyer, seller, qty, fill_price)
                    ledger.apply_trade(product, buyer, seller, qty, fill_price)
                    trades.append(trade)
                    filled += qty
        self._record(events)
        if self._listeners:
            self._notify(events, trades)
        return _new(OrderResult, (events, trades, first, None, filled))

    def cancel(self, ts: int, owner: str, order_id: int) -> CancelResult:
        """Cancel one of `owner`'s resting orders; another owner's order is reported as unknown."""
        engine = self.engine
        accepted = engine.accepted(order_id)
        events = engine.cancel(ts, order_id, owner)
        self.resting.apply(events)
        self._record(events)
        if self._listeners:
            self._notify(events, [])
        if type(events[0]) is not OrderCancelled:
            return _new(CancelResult, (events, []))
        return _new(CancelResult, (events, [accepted]))

    def reduce_order(self, ts: int, owner: str, order_id: int, remaining: int) -> list[Event]:
        """Cut one of `owner`'s resting orders to `remaining` open volume, keeping its time priority.
        Returns [OrderReduced], or [CancelRejected] for an unknown order (another owner's included) or a
        size that is not a reduction. Like a cancel, it is allowed outside trading hours."""
        events = self.engine.reduce(ts, order_id, remaining, owner)
        self.resting.apply(events)
        self._record(events)
        if self._listeners:
            self._notify(events, [])
        return events

    def cancel_at_price(self, ts: int, owner: str, product: str, price: int) -> CancelResult:
        """Cancel all of `owner`'s resting orders in `product` at `price`."""
        engine = self.engine
        accepted = [engine.accepted(view.order_id) for view in engine.orders_of(owner, product) if view.price == price]
        events = engine.cancel_at_price(ts, owner, product, price)  # oldest first, as listed
        self.resting.apply(events)
        self._record(events)
        if self._listeners and events:
            self._notify(events, [])
        return CancelResult(events, accepted)

    def settle(self, ts: int, prices: Mapping[str, float]) -> dict[str, dict[str, float]]:
        """Close the market, cancel every resting order and mark every position at the settlement prices.
        Returns the final PnL per account and product."""
        missing = [s for s in self.products if s not in prices]
        if missing:
            raise ValueError(f"settlement prices missing for {', '.join(missing)}")
        events: list[Event] = []
        for order_id in self.engine.resting_order_ids():
            events.extend(self.engine.cancel(ts, order_id, reason="settlement"))
        self.settlement = {s: float(prices[s]) for s in self.products}
        self._open_ns = self._close_ns = 0  # every later order takes the slow path: market closed
        self.resting.apply(events)
        events.append(Settled(next(self._seq), ts, tuple(self.settlement.items())))
        self._record(events)
        if self._listeners:
            self._notify(events, [])
        return {account: self.pnl(account) for account in self.ledger.accounts()}

    def exempt_from_limit(self, account: str) -> None:
        """Let `account` trade without a position limit: a replayed market stands for many traders.
        Trading hours and every other rule still apply."""
        self._limit_exempt.add(account)

    def print_trade(self, ts: int, product: str, buyer: str, seller: str, volume: int, price: int) -> Trade:
        """Put a trade that happened outside the books on the tape (see `TapePrint`)."""
        trade = self.tape.record(ts, product, buyer, seller, volume, price)
        event = TapePrint(next(self._seq), trade.ts, product, price, volume, buyer, seller)
        self._record((event,))
        if self._listeners:
            self._notify([event], [])  # nobody's fill: the stream sends no trade event for it
        return trade

    def use_journal(self, journal: EventSink) -> None:
        """Send later events to `journal` instead (restoring from a journal, then appending to it)."""
        self.journal = journal
        self._record = journal.write

    def replay_rejection(self, event: OrderRejected | CancelRejected) -> None:
        """Restoring a journal: a rejection changed nothing but took its sequence number; take it again."""
        seq = next(self._seq)
        if seq != event.seq:
            raise ValueError(f"event {event.seq} is out of sequence (expected {seq})")
        self._record((event,))

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call `listener(events, trades)` after every change; returns a function that unsubscribes."""
        self._listeners += (listener,)

        def unsubscribe() -> None:
            listeners = list(self._listeners)
            listeners.remove(listener)
            self._listeners = tuple(listeners)

        return unsubscribe

    # -- queries ----------------------------------------------------------------------------------

    @property
    def log(self) -> list[Event]:
        """Every event so far, oldest first: only when the sink keeps them in memory (the default)."""
        events = getattr(self.journal, "events", None)
        if events is None:
            raise AttributeError(f"this exchange keeps no events in memory: they go to {type(self.journal).__name__}")
        return events

    def is_open(self, ts: int) -> bool:
        """Orders are accepted: within trading hours and not yet settled (settling empties the window)."""
        return self._open_ns <= ts < self._close_ns

    def orders(self, owner: str, product: str | None = None) -> list[OrderView]:
        return self.engine.orders_of(owner, product)

    def order(self, owner: str, order_id: int) -> OrderView | None:
        view = self.engine.order(order_id)
        return view if view is not None and view.owner == owner else None

    def depth(self, product: str, owner: str | None = None) -> Depth:
        return self.engine.depth(product, owner)

    def positions(self, owner: str) -> dict[str, int]:
        """Net position per product the account has ever traded, in first-traded order."""
        return dict(self.ledger.positions.get(owner, {}))

    def mark(self, product: str) -> float:
        """The price positions are valued at: the settlement price once settled; otherwise the last trade
        (falling back to the starting price), or the mid when the rules say so and both sides quote."""
        if self.settlement is not None:
            return self.settlement[product]
        tick = self.products[product].tick_size
        if self.rules.mark == "mid":
            bid, ask = self.engine.best_prices(product)
            if bid is not None and ask is not None:
                return (bid + ask) * tick / 2
        last = self.tape.last_price(product)
        return (last if last is not None else self.products[product].starting_price) * tick

    def pnl(self, owner: str) -> dict[str, float]:
        """Cash plus position at the mark, per product the account has traded."""
        positions = self.ledger.positions.get(owner, {})
        cash = self.ledger.cash.get(owner, {})
        return {product: float(cash[product] * self.products[product].tick_size
                               + position * self.mark(product))
                for product, position in positions.items()}

    # -- internals --------------------------------------------------------------------------------

    def _rule_breach(self, ts: int, owner: str, product: str, side: int, volume: int) -> tuple[str, str] | None:
        if not self.is_open(ts):
            reason = "the market has settled" if self.settlement is not None else "outside trading hours"
            return MARKET_CLOSED, f"market closed: {reason}"
        rules = self.rules
        if volume > rules.max_order_volume:
            return BAD_VOLUME, f"volume {volume} is too large (at most {rules.max_order_volume})"
        if side != 1 and side != -1 or volume <= 0 or owner in self._limit_exempt:
            return None  # the engine rejects a bad side or volume with its own reason
        account_positions = self.ledger.positions.get(owner)
        position = account_positions.get(product, 0) if account_positions is not None else 0
        resting = self._resting.get((owner, product, side), 0) if rules.limit_counts_resting else 0
        after = position + side * (volume + resting)
        # Refused only if it could take the position past the limit AND further from zero than it is:
        # an order that reduces exposure always passes, even from beyond the limit.
        if abs(after) > rules.position_limit and abs(after) > abs(position):
            also = f" if it and your resting {SIDE_NAMES[side]} orders ({resting}) filled" if resting else ""
            return POSITION_LIMIT, (f"position limit: {SIDE_NAMES[side]} {volume} {product} would take your "
                                    f"position from {position} to {after}{also} (limit "
                                    f"±{rules.position_limit})")
        return None

    def _publish_rejection(self, rejection: OrderRejected) -> OrderResult:
        self._record((rejection,))
        if self._listeners:
            self._notify([rejection], [])
        return OrderResult([rejection], [], None, rejection, 0)

    def _notify(self, events: list, trades: list[Trade]) -> None:
        for listener in self._listeners:
            listener(events, trades)
