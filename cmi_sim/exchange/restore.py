"""Rebuilding an exchange from its event journal: every command the events record is run again, and
the events it makes must be the journaled ones (same sequence numbers, fields and order).

The exchange is deterministic, so running the same commands on the same products, rules and hours
rebuilds the same books (order ids and time priority included), positions, cash, tape and sequence
counter. A difference means the journal was written under other settings, or is damaged: restoring
then stops with `JournalMismatch` instead of serving a state that never was.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Sequence

from cmi_sim.engine import (
    CancelRejected,
    Event,
    Fill,
    OrderAccepted,
    OrderCancelled,
    OrderReduced,
    OrderRejected,
    Settled,
    TapePrint,
)
from cmi_sim.exchange.exchange import Exchange


class JournalMismatch(ValueError):
    """The journal does not replay to itself on this exchange."""


class _Checker:
    """A sink that compares what the exchange makes with what the journal says, event by event."""

    def __init__(self, journal: Iterator[Event]) -> None:
        self._journal = journal
        self.first: Event | None = None  # the event that started the command being replayed
        self.count = 0
        self.last_ts = 0

    def write(self, events: Sequence[Event]) -> None:
        for i, made in enumerate(events):
            if i == 0 and self.first is not None:
                expected, self.first = self.first, None
            else:
                expected = next(self._journal, None)
            if made != expected:
                raise JournalMismatch(f"replaying the journal made {made!r} where it holds {expected!r}")
            self.count += 1
            self.last_ts = max(self.last_ts, made.ts)

    def rewind(self, events: list[Event]) -> None:
        """Compare with `events` first (read ahead by the replay), then with the rest of the journal."""
        self._journal = itertools.chain(events, self._journal)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass


def replay(exchange: Exchange, events: Iterable[Event]) -> tuple[int, int]:
    """Run `events`' commands again on a fresh `exchange` (no orders yet); returns (events replayed, the
    latest timestamp). The exchange's own sink is left as it was; nothing is written to it."""
    stream = iter(events)
    checker = _Checker(stream)
    own_journal = exchange.journal
    exchange.use_journal(checker)
    try:
        for event in stream:
            checker.first = event
            kind = type(event)
            if kind is OrderAccepted:
                exchange.place(event.ts, event.owner, event.product, event.side, event.price, event.volume)
            elif kind is OrderRejected or kind is CancelRejected:
                exchange.replay_rejection(event)
            elif kind is OrderCancelled and event.reason == "user":
                exchange.cancel(event.ts, event.owner, event.order_id)
            elif kind is OrderReduced:
                exchange.reduce_order(event.ts, event.owner, event.order_id, event.remaining)
            elif kind is TapePrint:
                exchange.print_trade(event.ts, event.product, event.buyer, event.seller, event.volume, event.price)
            elif kind is Settled:
                exchange.settle(event.ts, dict(event.prices))
            elif kind is OrderCancelled and event.reason == "settlement":
                # Settling cancels every resting order, then says Settled: read ahead for its prices.
                ahead = [event]
                while type(ahead[-1]) is not Settled:
                    following = next(stream, None)
                    if following is None:
                        raise JournalMismatch("the journal ends inside a settlement")
                    ahead.append(following)
                checker.rewind(ahead[1:])
                exchange.settle(event.ts, dict(ahead[-1].prices))
            elif kind is Fill or kind is OrderCancelled:
                raise JournalMismatch(f"{event!r} is not the consequence of the command before it")
            else:
                raise JournalMismatch(f"cannot replay {event!r}")
            if checker.first is not None:
                raise JournalMismatch(f"replaying {event!r} made no event")
    finally:
        exchange.use_journal(own_journal)
    return checker.count, checker.last_ts
