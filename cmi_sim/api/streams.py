"""Per-user Server-Sent-Events streams, fed from the exchange's event stream.

A `Subscription` is a queue of ready-made SSE frames (bytes) plus a waker the transport installs: an
asyncio event in the live server, a green event in a backtest. The hub tells each product's renderer
which side of the book every change touched, so a frame re-renders only what moved; a frame that
several subscribers see alike (everyone without orders at that product) is rendered once and the
same bytes are queued for all of them.

A subscriber that stops reading must not hold the server's memory: its queue is bounded in bytes, and
one that falls `MAX_BACKLOG_BYTES` behind is dropped at once (queue freed, no longer rendered for); it
reconnects and gets a fresh snapshot.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

from cmi_sim.api.wire import SseBookRenderer, sse_frame, trade_json
from cmi_sim.engine import Fill, OrderAccepted, OrderCancelled, OrderReduced
from cmi_sim.exchange import Exchange, Trade

MAX_BACKLOG_BYTES = 1 << 20  # queued and not yet taken; a subscriber this far behind is dropped


class Subscription:
    def __init__(self, user: str, on_drop: Callable[[Subscription], None] | None = None) -> None:
        self.user = user
        self.frames: deque[bytes] = deque()
        self.backlog_bytes = 0
        self.closed = False
        self.dropped = False  # closed because it fell behind (not by the client or the server)
        self.waker: Callable[[], None] | None = None
        self._on_drop = on_drop

    def push(self, frame: bytes) -> None:
        if self.closed:
            return
        backlog = self.backlog_bytes + len(frame)
        if backlog > MAX_BACKLOG_BYTES and self.frames:  # one frame, however big, always fits an empty queue
            self.drop()
            return
        self.backlog_bytes = backlog
        self.frames.append(frame)
        if self.waker is not None:
            self.waker()

    def take(self) -> bytes:
        """Everything queued, in order, as one chunk (b"" when nothing is)."""
        frames = self.frames
        if not frames:
            return b""
        chunk = b"".join(frames)
        frames.clear()
        self.backlog_bytes = 0
        return chunk

    def drop(self) -> None:
        """The reader fell too far behind: free its queue now and stop rendering for it."""
        self.dropped = True
        self.close()
        if self._on_drop is not None:
            self._on_drop(self)

    def close(self) -> None:
        self.closed = True
        self.frames.clear()
        self.backlog_bytes = 0
        if self.waker is not None:
            self.waker()


class StreamHub:
    """Open subscriptions by user, in the order they connected (so delivery order is reproducible)."""

    def __init__(self, exchange: Exchange) -> None:
        self.exchange = exchange
        self._subscriptions: dict[str, list[Subscription]] = {}
        books, products = exchange.engine.books, exchange.products
        self._renderers = {symbol: SseBookRenderer(books[symbol], products[symbol].tick_size) for symbol in products}
        exchange.subscribe(self._on_change)

    def open(self, user: str) -> Subscription:
        """A new subscription, primed with one `order` event per product (the snapshot)."""
        subscription = Subscription(user, on_drop=self.close)
        if not self._subscriptions:  # nobody listened, so no change was reported to the renderers
            for renderer in self._renderers.values():
                renderer.everything_changed()
        own_volumes = self.exchange.engine.own_volumes
        for product, renderer in self._renderers.items():
            subscription.push(renderer.render(user, own_volumes(user, product)))
        self._subscriptions.setdefault(user, []).append(subscription)
        return subscription

    def close(self, subscription: Subscription) -> None:
        subscription.close()
        subs = self._subscriptions.get(subscription.user, [])
        if subscription in subs:
            subs.remove(subscription)
            if not subs:
                del self._subscriptions[subscription.user]

    def close_all(self) -> None:
        for subs in list(self._subscriptions.values()):
            for subscription in list(subs):
                self.close(subscription)

    def count(self) -> int:
        return sum(len(subs) for subs in self._subscriptions.values())

    def _on_change(self, events: list, trades: list[Trade]) -> None:
        if not self._subscriptions:
            return
        renderers = self._renderers
        changed: dict[str, SseBookRenderer] = {}  # products with a new book, in the order they changed
        for event in events:
            kind = type(event)
            if kind is OrderAccepted or kind is OrderCancelled or kind is OrderReduced:
                renderer = changed[event.product] = renderers[event.product]
                renderer.side_changed(event.side)
            elif kind is Fill:  # the resting order was on the other side
                renderers[event.product].side_changed(-event.taker_side)
        own_volumes = self.exchange.engine.own_volumes
        for product, renderer in changed.items():
            shared = None  # the frame of everyone without orders at this product, rendered once
            for user, subs in list(self._subscriptions.items()):
                own = own_volumes(user, product)
                if own:
                    frame = renderer.render(user, own)
                else:
                    frame = shared = shared or renderer.render(None, None)
                for subscription in list(subs):
                    subscription.push(frame)
        if trades:
            self._push_fills(trades)

    def _push_fills(self, trades: list[Trade]) -> None:
        """Each party sees its own fills, as one array, with the counterparty blanked. A self-trade is
        both a buy and a sell of the same account: it sees both, so a position kept from fills stays right."""
        fills: dict[str, list[dict]] = {}
        products = self.exchange.products
        for trade in trades:
            tick = products[trade.product].tick_size
            if trade.buyer in self._subscriptions:
                fills.setdefault(trade.buyer, []).append(trade_json(trade, tick, seller=""))
            if trade.seller in self._subscriptions:
                fills.setdefault(trade.seller, []).append(trade_json(trade, tick, buyer=""))
        for user, items in fills.items():
            frame = sse_frame("trade", items)
            for subscription in list(self._subscriptions.get(user, [])):
                subscription.push(frame)
