"""Cost of the SSE `order` path per book change, server side (StreamHub) and client side (book parsing),
against the code it replaced, measured in the same run.

Workload: eight products, each quoted by a market maker that cancels and re-places one to four levels
per side (bursts of changes at one instant, as in a backtest), plus one bot with a bid and an ask in
every product that re-quotes now and then, and an occasional small taker. The bot is the one
subscriber, as in `cmi-sim backtest bots/quoter.py`. The hub's cost is the run's time with the hub
minus the same run with no listener. Speed is reported, never asserted; the assertions are about
correctness (both hubs send the same bytes, both parsers build the same books).

Small hot dicts flatter look-up caches here: memos of level texts and of parsed prices won in this file
and lost inside a real backtest (cache misses in a large process), so check a change in a real run too.

Run: .venv/bin/python -m pytest benchmarks/test_bench_sse_render.py -q -s -p no:cacheprovider
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Mapping

from cmi_sim.api.streams import StreamHub, Subscription
from cmi_sim.client.parsing import book_from_stream
from cmi_sim.client.types import OrderBook, PriceLevel
from cmi_sim.engine import BUY, SELL, Depth, OrderAccepted, OrderCancelled, OrderReduced
from cmi_sim.exchange import Exchange, ExchangeRules, TradingHours
from cmi_sim.products import CMI_SYMBOLS, cmi_products

N_STEPS = 2_000
ROUNDS = 5
BOT = "bot"


# --- the code measured against (as of commit 6e9ca13) ---------------------------------------------

class PreviousSseBookRenderer:
    """Formatted every level of a fresh `Depth` on every change."""

    def __init__(self, depth: Depth, tick: int) -> None:
        self.depth = depth
        self.tick = tick
        self._plain: bytes | None = None

    def _levels(self, levels, side: int, own: Mapping[tuple[int, int], int]) -> str:
        tick = self.tick
        if own:
            return ",".join(f'"{lv.price * tick}.0":{{"marketVolume":{lv.volume}.0,'
                            f'"userVolume":{own.get((side, lv.price), 0)}.0}}' for lv in levels)
        return ",".join(f'"{lv.price * tick}.0":{{"marketVolume":{lv.volume}.0,"userVolume":0.0}}'
                        for lv in levels)

    def render(self, own: Mapping[tuple[int, int], int] | None = None) -> bytes:
        if not own:
            if self._plain is None:
                self._plain = self._render({})
            return self._plain
        return self._render(own)

    def _render(self, own: Mapping[tuple[int, int], int]) -> bytes:
        depth = self.depth
        data = (f'{{"productsymbol":{json.dumps(depth.product)},"tickSize":{self.tick},'
                f'"buyOrders":{{{self._levels(depth.bids, 1, own)}}},'
                f'"sellOrders":{{{self._levels(depth.asks, -1, own)}}}}}')
        return f"event: order\ndata: {data}\n\n".encode()


class PreviousHub:
    """The previous `StreamHub` (fills are sent by the same code: they did not change)."""

    def __init__(self, exchange: Exchange) -> None:
        self.exchange = exchange
        self._subscriptions: dict[str, list[Subscription]] = {}
        exchange.subscribe(self._on_change)

    def open(self, user: str) -> Subscription:
        subscription = Subscription(user)
        for product in self.exchange.products:
            subscription.push(self._renderer(product).render(self._own_volumes(user, product)))
        self._subscriptions.setdefault(user, []).append(subscription)
        return subscription

    def _renderer(self, product: str) -> PreviousSseBookRenderer:
        return PreviousSseBookRenderer(self.exchange.depth(product), self.exchange.products[product].tick_size)

    def _own_volumes(self, user: str, product: str) -> dict[tuple[int, int], int]:
        return self.exchange.engine.own_volumes(user, product)

    def _on_change(self, events: list, trades: list) -> None:
        if not self._subscriptions:
            return
        changed: dict[str, None] = {}
        for event in events:
            kind = type(event)
            if kind is OrderAccepted or kind is OrderCancelled or kind is OrderReduced:
                changed[event.product] = None
        for product in changed:
            renderer = self._renderer(product)
            for user, subs in list(self._subscriptions.items()):
                frame = renderer.render(self._own_volumes(user, product))
                for subscription in list(subs):
                    subscription.push(frame)
        if trades:
            self._push_fills(trades)

    _push_fills = StreamHub._push_fills


def previous_book_from_stream(data: dict) -> OrderBook:
    def levels(side: dict, best_first_descending: bool) -> list[PriceLevel]:
        rows = sorted([(float(price), level["marketVolume"], level["userVolume"]) for price, level in side.items()],
                      reverse=best_first_descending)
        return [PriceLevel(price, volume, own) for price, volume, own in rows]

    return OrderBook(product=data["productsymbol"], tick_size=data["tickSize"],
                     buy_orders=levels(data.get("buyOrders") or {}, best_first_descending=True),
                     sell_orders=levels(data.get("sellOrders") or {}, best_first_descending=False))


# --- the workload ----------------------------------------------------------------------------------

def run_market(hub_class: type | None) -> tuple[float, int, list[bytes]]:
    """Drive the seeded workload; returns (seconds, book changes, frames the bot received)."""
    rng = random.Random(7)
    exchange = Exchange(cmi_products(), ExchangeRules(position_limit=1_000_000), TradingHours(0, 2**62))
    subscription = hub_class(exchange).open(BOT) if hub_class else None
    mids = {symbol: 1_000 + 500 * i for i, symbol in enumerate(CMI_SYMBOLS)}
    quotes: dict[tuple[str, str], list[int]] = {}
    frames: list[bytes] = []
    changes = 0

    def requote(owner: str, product: str, levels: int, volume: int, ts: int) -> int:
        done = 0
        for order_id in quotes.pop((owner, product), []):
            done += type(exchange.cancel(ts, owner, order_id).events[0]) is OrderCancelled
        ids = []
        for side in (BUY, SELL):
            for level in range(levels):
                result = exchange.place(ts, owner, product, side, mids[product] - side * (3 + 2 * level), volume)
                done += 1
                if result.remaining > 0:
                    ids.append(result.accepted.order_id)
        quotes[owner, product] = ids
        return done

    started = time.perf_counter()
    for ts in range(1, N_STEPS + 1):
        product = CMI_SYMBOLS[ts % len(CMI_SYMBOLS)]
        mids[product] += rng.choice((-1, 0, 0, 1))
        changes += requote("mm", product, rng.randint(1, 4), rng.randint(1, 20), ts)
        if rng.random() < 0.2:
            changes += requote(BOT, product, 1, 5, ts)
        if rng.random() < 0.05:
            exchange.place(ts, "taker", product, rng.choice((BUY, SELL)), mids[product] + rng.randint(-8, 8), 2)
            changes += 1
        if subscription is not None:
            frames.append(subscription.take())
    return time.perf_counter() - started, changes, frames


def best_of(rounds: int, hub_class: type | None) -> tuple[float, int, list[bytes]]:
    runs = [run_market(hub_class) for _ in range(rounds)]
    return min(runs, key=lambda run: run[0])


def test_hub_cost_per_book_change(benchmark):
    def run():
        bare, changes, _ = best_of(ROUNDS, None)
        previous, _, previous_frames = best_of(ROUNDS, PreviousHub)
        current, _, current_frames = best_of(ROUNDS, StreamHub)
        return bare, previous, current, changes, previous_frames, current_frames

    bare, previous, current, changes, previous_frames, current_frames = benchmark.pedantic(run, rounds=1,
                                                                                            iterations=1)
    assert current_frames == previous_frames  # the same bytes on the wire
    previous_us = (previous - bare) / changes * 1e6
    current_us = (current - bare) / changes * 1e6
    benchmark.extra_info.update(book_changes=changes, previous_us_per_change=previous_us,
                                current_us_per_change=current_us)
    print(f"\nStreamHub, one subscriber with orders: {previous_us:.2f} -> {current_us:.2f} us per book change "
          f"({changes} changes; exchange alone {bare / changes * 1e6:.2f} us per change)")


def test_client_book_parsing(benchmark):
    _, _, chunks = run_market(StreamHub)
    texts = [frame.split(b"\ndata: ", 1)[1].decode() for chunk in chunks for frame in chunk.split(b"\n\n")
             if frame.startswith(b"event: order\n")]

    def parse_all(parse) -> float:
        # Freshly decoded each round, as from the stream: new key strings, no hashes cached yet.
        payloads = [json.loads(text) for text in texts]
        started = time.perf_counter()
        for payload in payloads:
            parse(payload)
        return time.perf_counter() - started

    def run():
        previous = min(parse_all(previous_book_from_stream) for _ in range(ROUNDS))
        current = min(parse_all(book_from_stream) for _ in range(ROUNDS))
        return previous, current

    previous, current = benchmark.pedantic(run, rounds=1, iterations=1)
    payloads = [json.loads(text) for text in texts]
    assert [book_from_stream(p) for p in payloads] == [previous_book_from_stream(p) for p in payloads]
    n = len(payloads)
    benchmark.extra_info.update(books=n, previous_us_per_book=previous / n * 1e6, current_us_per_book=current / n * 1e6)
    print(f"\nbook_from_stream: {previous / n * 1e6:.2f} -> {current / n * 1e6:.2f} us per book ({n} books)")
