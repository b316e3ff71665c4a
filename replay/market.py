"""The replay market: a recording fed back into the exchange as other participants' liquidity.

Driven like the synthetic market: `step(now_ns)` applies every recorded book and trade due by `now_ns`
and returns the time of the next one (or None). No clock, no threads; a pure function of the recording,
the fill model and what the bot did in between.

- Books: the `replay` account's resting orders are reconciled to each recorded snapshot (shrinking a
  level cancels its newest replay orders and reduces the last one it reaches in place, keeping that
  one's queue position; growing it adds one at the back).
- Consumed liquidity: volume the bot takes from a replayed level is remembered per level and subtracted
  from later snapshots, until the recorded level shrinks by as much (the real market used it up too).
- Trades: each recorded trade goes on the tape at its recorded time (not through the books: it
  happened between other people), then may fill the bot's resting orders (see `replay.fills`). Such a
  fill is executed as a `replay` order hitting exactly those bot orders, with the replay's own orders at
  or ahead of them lifted for the moment.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from operator import is_not
from pathlib import Path
from typing import Any

from cmi_sim.engine import BUY, SELL, Fill, OrderAccepted, OrderCancelled, OrderReduced
from cmi_sim.exchange import Exchange
from replay.fills import (
    PESSIMISTIC,
    QUEUE,
    after_cancels,
    allocate_at_level,
    check_fill_model,
    initial_ahead,
)
from replay.timeline import Side, Timeline, load_timeline

ACCOUNT = "replay"
_NEVER = 1 << 63
PARAMS = ("fill_model", "account")

LevelKey = tuple[str, int, int]  # (product, side, price)


class ReplayMarket:
    """A recording replayed into `exchange` between `open_ns` and `close_ns`.

    `on_book(product, ts)` is called after each recorded snapshot is applied (tests compare books).
    """

    def __init__(self, exchange: Exchange, timeline: Timeline, open_ns: int, close_ns: int,
                 fill_model: str = QUEUE, account: str = ACCOUNT,
                 on_book: Callable[[str, int], None] | None = None) -> None:
        self.exchange = exchange
        self.timeline = timeline
        self.open_ns = open_ns
        self.close_ns = close_ns
        self.fill_model = check_fill_model(fill_model)
        self.account = account
        self.on_book = on_book
        # The time of the next book and the next trade, without bounds checks: a time after every
        # recorded one ends each list (most steps apply a single book).
        self._book_times = timeline.book_times + (_NEVER,)
        self._trade_times = tuple(trade[0] for trade in timeline.trades) + (_NEVER,)
        self._i = self._j = 0
        products = list(exchange.products)
        self._shown: dict[str, tuple[Side, Side]] = {p: ((), ()) for p in products}  # without repeated prices
        # the replay account's resting orders: (product, side) -> price -> {order id: remaining}, FIFO;
        # booked as the replay sends its commands, and from the event stream when others change them
        self._resting: dict[tuple[str, int], dict[int, dict[int, int]]] = {
            (p, s): {} for p in products for s in (BUY, SELL)}
        self._consumed: dict[LevelKey, int] = {}
        self._traded: dict[str, dict[int, int]] = {}  # recorded trade volume per price since the last book
        self._hidden: set[str] = set()  # products with withheld crossing volume (pessimistic)
        # bot orders resting where the replay may fill them: level -> {order id: volume ahead}, FIFO
        self._bots: dict[LevelKey, dict[int, int]] = {}
        self._bot_level: dict[int, LevelKey] = {}
        self._bot_prices: dict[tuple[str, int], set[int]] = {(p, s): set() for p in products for s in (BUY, SELL)}
        self._pending: list[OrderAccepted] = []
        self.books_applied = 0
        self.trades_applied = 0
        exchange.exempt_from_limit(account)  # the replay account stands for the whole recorded market
        exchange.subscribe(self._on_change)

    @classmethod
    def from_recording(cls, exchange: Exchange, path: str | Path, open_ns: int, close_ns: int,
                       params: Mapping[str, Any] | None = None, **kwargs: Any) -> ReplayMarket:
        params = dict(params or {})
        unknown = sorted(set(params) - set(PARAMS))
        if unknown:
            raise ValueError(f"unknown replay market param(s): {', '.join(unknown)} (known: {', '.join(PARAMS)})")
        ticks = {symbol: product.tick_size for symbol, product in exchange.products.items()}
        return cls(exchange, load_timeline(path, ticks), open_ns, close_ns, **(params | kwargs))

    @property
    def accounts(self) -> list[str]:
        return [self.account]

    def fair_value(self, product: str, ts: int) -> int | None:
        return None  # a recording has no fair value; the bot sees what the market showed

    def describe(self) -> dict[str, Any]:
        """For reports: what was replayed and under which fill model."""
        return {"kind": "replay", "fill_model": self.fill_model, "books": len(self.timeline.book_times),
                "trades": len(self.timeline.trades), "books_applied": self.books_applied,
                "trades_applied": self.trades_applied}

    # -- driving ----------------------------------------------------------------------------------

    def step(self, now_ns: int) -> int | None:
        """Apply every recorded trade and book due by `now_ns` (a trade before a book at the same time:
        the book shows its result); the next recorded time, or None once past the close or exhausted."""
        if now_ns >= self.close_ns or self.exchange.settlement is not None:
            return None
        if now_ns < self.open_ns:
            return self.open_ns
        book_times, trade_times, timeline = self._book_times, self._trade_times, self.timeline
        i, j = self._i, self._j
        while True:
            tb, tt = book_times[i], trade_times[j]
            if tt <= tb:
                if tt > now_ns:
                    break
                self._apply_trade(now_ns, timeline.trades[j])
                j += 1
            else:
                if tb > now_ns:
                    break
                product = timeline.book_products[i]
                self._apply_book(now_ns, product, timeline.book_bids[i], timeline.book_asks[i])
                i += 1
                if self.on_book is not None:
                    self.on_book(product, now_ns)
        self._i, self._j = i, j
        wake = tb if tb < tt else tt
        return None if wake >= self.close_ns else wake

    # -- books ------------------------------------------------------------------------------------

    def _apply_book(self, now: int, product: str, bids: Side, asks: Side) -> None:
        self.books_applied += 1
        old_bids, old_asks = self._shown[product]
        traded = self._traded.pop(product, None)
        recheck = product in self._hidden
        if recheck:
            self._hidden.discard(product)
        # Shrink before growing, so a level that moves never meets its old self across the spread:
        # shrinks happen as levels are compared, growth waits for both sides.
        grow: list[tuple[LevelKey, int]] = []
        if recheck or bids is not old_bids:  # a side whose text repeats is the same tuple
            bids = self._reconcile(now, product, BUY, old_bids, bids, traded, recheck, grow)
        if recheck or asks is not old_asks:
            asks = self._reconcile(now, product, SELL, old_asks, asks, traded, recheck, grow)
        self._shown[product] = (bids, asks)
        if len(grow) > 1:
            grow.sort(key=lambda item: (item[0][1], -item[0][1] * item[0][2]))
        for key, volume in grow:
            self._grow(now, key, volume)

    def _reconcile(self, now: int, product: str, side: int, old: Side, new: Side,
                   traded: dict[int, int] | None, recheck: bool, grow: list[tuple[LevelKey, int]]) -> Side:
        """Bring the replay's orders on one side to the snapshot `new` (shown before: `old`): shrink now,
        list the growth in `grow`. Returns `new` as it is shown from now on (a repeated price once)."""
        if not recheck and len(new) == len(old):
            # Most updates change one level's volume: one position holds another pair (a recording's
            # equal levels share one pair, so identity tells) at the same price. `old` repeats no price, so
            # neither does `new`. Anything else, an equal pair that is another object included, takes the
            # general path below.
            changed = list(map(is_not, new, old))
            differing = changed.count(True)
            if differing == 0:
                return new
            if differing == 1:
                at = changed.index(True)
                price, after = new[at]
                old_price, before = old[at]
                if price == old_price and after != before:
                    self._reconcile_level(now, product, side, price, before, after, traded, grow)
                    return new
        old_levels, new_levels = dict(old), dict(new)
        prices = {price for price, _ in old_levels.items() ^ new_levels.items()}
        if recheck:
            prices.update(new_levels)
        for price in prices:
            self._reconcile_level(now, product, side, price, old_levels.get(price, 0), new_levels.get(price, 0),
                                  traded, grow)
        return new if len(new_levels) == len(new) else tuple(new_levels.items())

    def _reconcile_level(self, now: int, product: str, side: int, price: int, before: int, after: int,
                         traded: dict[int, int] | None, grow: list[tuple[LevelKey, int]]) -> None:
        """The recorded level at `price` went from `before` to `after`: shrink the replay's orders there
        now, or list their growth in `grow`."""
        target = after
        consumed_by_level, bots = self._consumed, self._bots
        if consumed_by_level or bots:  # only once the bot has taken or joined replayed volume
            key = (product, side, price)
            consumed = consumed_by_level.get(key, 0)
            if consumed and before > after:
                consumed = max(0, consumed - (before - after))  # the real market used it up as well
            if after == 0:
                consumed = 0
            if consumed:
                consumed_by_level[key] = consumed
                target = max(0, after - consumed)
            else:
                consumed_by_level.pop(key, None)
            if key in bots:
                traded_here = traded.get(price, 0) if traded else 0
                self._level_changed(key, before - traded_here, after)
        levels = self._resting[product, side]
        orders = levels.get(price)
        current = sum(orders.values()) if orders else 0
        if current > target and orders:
            self._shrink(now, levels, price, current - target)
        elif current < target:
            grow.append(((product, side, price), target - current))

    def _shrink(self, now: int, levels: dict[int, dict[int, int]], price: int, volume: int) -> None:
        """Take `volume` off the replay's orders at `price` (`levels`: one side's price -> {order id: open
        volume}, FIFO)."""
        exchange, account = self.exchange, self.account
        orders = levels[price]
        for order_id in reversed(list(orders)):  # newest first: the back of the queue leaves
            remaining = orders[order_id]
            if remaining > volume:  # one command, and the rest keeps its place as on a real exchange
                exchange.reduce_order(now, account, order_id, remaining - volume)
                orders[order_id] = remaining - volume
                return
            exchange.cancel(now, account, order_id)
            del orders[order_id]
            volume -= remaining
            if not volume:
                break
        if not orders:
            del levels[price]

    def _grow(self, now: int, key: LevelKey, volume: int) -> None:
        product, side, price = key
        if self.fill_model == PESSIMISTIC and self._bot_prices[product, -side]:
            bid, ask = self.exchange.engine.best_prices(product)
            opposite = ask if side == BUY else bid
            if opposite is not None and (price >= opposite if side == BUY else price <= opposite):
                self._hidden.add(product)  # withheld: it would trade with the bot's order
                return
        filled = self._place(now, product, side, price, volume)
        if filled:  # it crossed the bot's resting orders: that replayed volume is used
            self._consumed[key] = self._consumed.get(key, 0) + filled

    def _place(self, now: int, product: str, side: int, price: int, volume: int) -> int:
        """Place a replay order and book what of it rests; the volume it filled at once."""
        result = self.exchange.place(now, self.account, product, side, price, volume)
        filled, accepted = result.filled, result.accepted
        if accepted is not None and filled < volume:
            levels = self._resting[product, side]
            orders = levels.get(price)
            if orders is None:
                orders = levels[price] = {}
            orders[accepted.order_id] = volume - filled
        return filled

    # -- trades -----------------------------------------------------------------------------------

    def _apply_trade(self, now: int, trade: tuple[int, str, str, str, int, int]) -> None:
        self.trades_applied += 1
        ts, product, buyer, seller, volume, price = trade
        self.exchange.print_trade(ts, product, buyer, seller, volume, price)
        traded = self._traded.setdefault(product, {})
        traded[price] = traded.get(price, 0) + volume
        for side in (BUY, SELL):
            if self._bot_prices[product, side]:
                self._fill_bots(now, product, side, price, volume)

    def _fill_bots(self, now: int, product: str, side: int, price: int, volume: int) -> None:
        """A recorded trade at `price` reaches the bot's orders on `side` at that price or better."""
        prices = [p for p in self._bot_prices[product, side] if (p >= price if side == BUY else p <= price)]
        prices.sort(reverse=side == BUY)
        engine = self.exchange.engine
        pool, total, worst = volume, 0, None
        for level_price in prices:
            level = self._bots[product, side, level_price]
            ids = list(level)
            remaining = [engine.order(order_id).remaining for order_id in ids]
            if level_price != price:  # traded through: nothing recorded stood ahead of the bot here
                qty = allocate_at_level(pool, [0] * len(ids), remaining)
            else:
                qty = allocate_at_level(pool, [level[order_id] for order_id in ids], remaining)
            filled = sum(qty)
            if filled:
                pool -= filled
                total += filled
                worst = level_price
            if pool <= 0:
                break
        at_price = self._bots.get((product, side, price))
        if at_price is not None:  # the recorded trade used up that much of the queue ahead of the bot
            for order_id, ahead in at_price.items():
                at_price[order_id] = max(0, ahead - volume)
        if total:
            self._hit(now, product, side, worst, total)

    def _hit(self, now: int, product: str, side: int, price: int, volume: int) -> None:
        """Trade `volume` with the bot's orders on `side` at `price` or better, in their priority."""
        levels = self._resting[product, side]
        lifted = [(p, remaining) for p in sorted(levels, reverse=side == BUY)
                  if (p >= price if side == BUY else p <= price)
                  for remaining in levels[p].values()]
        for p in [p for p in levels if (p >= price if side == BUY else p <= price)]:
            for order_id in levels.pop(p):
                self.exchange.cancel(now, self.account, order_id)
        result = self.exchange.place(now, self.account, product, -side, price, volume)
        if result.remaining and result.accepted is not None:  # not booked: it goes at once
            self.exchange.cancel(now, self.account, result.accepted.order_id)
        for p, remaining in lifted:
            self._place(now, product, side, p, remaining)

    # -- the bot's orders, from the exchange's event stream ----------------------------------------

    def _level_changed(self, key: LevelKey, before: int, after: int) -> None:
        level = self._bots[key]
        cancelled = before - after
        for order_id, ahead in level.items():
            ahead = after_cancels(self.fill_model, ahead, cancelled, before)
            level[order_id] = min(ahead, after)

    def _on_change(self, events: list, trades: list) -> None:
        account = self.account
        if len(events) == 1:  # most changes are one order placed, cut or cancelled with nothing traded
            # The replay's own commands are booked as it sends them, so its events need nothing here.
            event = events[0]
            kind = type(event)
            if kind is OrderReduced:  # only the replay cuts orders
                return
            if kind is OrderAccepted:
                if event.owner != account:
                    self._rested(event, event.volume)
                return
            if kind is OrderCancelled and event.owner == account:
                return
        for event in events:
            kind = type(event)
            if kind is Fill:
                if event.maker == account:
                    key = (event.product, -event.taker_side, event.price)
                    orders = self._resting[event.product, -event.taker_side][event.price]
                    if event.maker_remaining:
                        orders[event.maker_order_id] = event.maker_remaining
                    else:
                        del orders[event.maker_order_id]
                        if not orders:
                            del self._resting[event.product, -event.taker_side][event.price]
                    if event.taker != account:
                        self._consumed[key] = self._consumed.get(key, 0) + event.volume
                elif not event.maker_remaining:
                    self._forget_bot(event.maker_order_id)
            elif kind is OrderAccepted:
                if event.owner != account:  # the replay books its own as it places them
                    self._pending.append(event)
            elif kind is OrderCancelled:
                if event.owner == account:
                    orders = self._resting[event.product, event.side]
                    level = orders.get(event.price)
                    if level is not None and level.pop(event.order_id, None) is not None and not level:
                        del orders[event.price]
                else:
                    self._forget_bot(event.order_id)
        if self._pending:
            pending, self._pending = self._pending, []
            for accepted in pending:
                # an order's own fills follow its acceptance in the same batch
                remaining = accepted.volume - sum(e.volume for e in events if type(e) is Fill
                                                  and e.taker_order_id == accepted.order_id)
                if remaining > 0:
                    self._rested(accepted, remaining)

    def _rested(self, accepted: OrderAccepted, remaining: int) -> None:
        """A bot order rests (`remaining` of it): where the replay's trades may fill it."""
        product, side, price = accepted.product, accepted.side, accepted.price
        key = (product, side, price)
        level = self._bots.setdefault(key, {})
        shown = dict(self._shown[product][0 if side == BUY else 1]).get(price, 0)
        visible = max(0, shown - self._consumed.get(key, 0))
        previous = next(reversed(level.values())) if level else 0
        level[accepted.order_id] = initial_ahead(self.fill_model, visible, previous)
        self._bot_level[accepted.order_id] = key
        self._bot_prices[product, side].add(price)

    def _forget_bot(self, order_id: int) -> None:
        key = self._bot_level.pop(order_id, None)
        if key is None:
            return
        level = self._bots[key]
        del level[order_id]
        if not level:
            del self._bots[key]
            self._bot_prices[key[0], key[1]].discard(key[2])
