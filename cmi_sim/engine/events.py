"""Engine events: immutable records of every change, each with a sequence number and the caller's timestamp.

Events are NamedTuples: immutable, cheap, and comparable field by field. The hot path builds them with
`tuple.__new__` (see `book.py`), which skips the generated `__new__` and is several times faster.
"""

from __future__ import annotations

from typing import NamedTuple

BUY = 1
SELL = -1
SIDE_NAMES = {BUY: "BUY", SELL: "SELL"}

# The largest price (in ticks) and volume the engine takes: every sum of volumes then fits in 64 bits,
# which the compiled engine relies on. Far above any real order (limits are hundreds, prices thousands).
MAX_QUANTITY = 2**31 - 1


class OrderAccepted(NamedTuple):
    """An order entered the book (before any matching); `volume` is its original size."""

    seq: int
    ts: int
    order_id: int
    owner: str
    product: str
    side: int
    price: int
    volume: int


class Fill(NamedTuple):
    """A trade between an incoming (taker) order and a resting (maker) order, at the maker's price."""

    seq: int
    ts: int
    product: str
    price: int
    volume: int
    taker_order_id: int
    taker: str
    maker_order_id: int
    maker: str
    taker_side: int
    maker_remaining: int

    @property
    def buyer(self) -> str:
        return self.taker if self.taker_side == BUY else self.maker

    @property
    def seller(self) -> str:
        return self.maker if self.taker_side == BUY else self.taker


class OrderCancelled(NamedTuple):
    """A resting order left the book unfilled; `volume` is what was still open. `reason`: user | self_trade."""

    seq: int
    ts: int
    order_id: int
    owner: str
    product: str
    side: int
    price: int
    volume: int
    reason: str


class OrderReduced(NamedTuple):
    """A resting order's open volume was cut in place (a partial cancel); it keeps its time priority, as
    size reductions do on real exchanges. `remaining` is what stays open."""

    seq: int
    ts: int
    order_id: int
    owner: str
    product: str
    side: int
    price: int
    volume_removed: int
    remaining: int


class OrderRejected(NamedTuple):
    """An order that was refused before entering the book. `reason` is a code, `detail` says why in words."""

    seq: int
    ts: int
    owner: str
    product: str
    side: int
    price: int
    volume: int
    reason: str
    detail: str


class CancelRejected(NamedTuple):
    """A cancel or reduce that could not be done (unknown order, not the caller's, or a bad new size)."""

    seq: int
    ts: int
    order_id: int
    owner: str
    reason: str
    detail: str


class Settled(NamedTuple):
    """The market closed and settled at these prices (symbol, value), in product order (the exchange
    emits it; the engine never does)."""

    seq: int
    ts: int
    prices: tuple[tuple[str, float], ...]


class TapePrint(NamedTuple):
    """A trade printed on the tape from outside the books: a replayed recording's trade between other
    participants. It sets the last price but moves no account's position (the exchange emits it)."""

    seq: int
    ts: int
    product: str
    price: int
    volume: int
    buyer: str
    seller: str


# What the matching engine emits; the exchange's one event stream adds settlement and tape prints.
EngineEvent = OrderAccepted | Fill | OrderCancelled | OrderReduced | OrderRejected | CancelRejected
Event = EngineEvent | Settled | TapePrint
EVENT_TYPES: dict[str, type] = {cls.__name__: cls for cls in (
    OrderAccepted, Fill, OrderCancelled, OrderReduced, OrderRejected, CancelRejected, Settled, TapePrint)}

# Rejection codes shared by the engine and the exchange; the API maps them to status codes and messages.
UNKNOWN_PRODUCT = "unknown_product"
BAD_PRICE = "bad_price"
BAD_VOLUME = "bad_volume"
BAD_SIDE = "bad_side"
UNKNOWN_ORDER = "unknown_order"


def event_record(event: Event) -> dict:
    """A JSON-ready dict of an event: its type name first, then its fields in declaration order."""
    record = {"type": type(event).__name__}
    record.update(zip(event._fields, event))
    return record
