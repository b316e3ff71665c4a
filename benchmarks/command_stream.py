"""A seeded command stream for the engine and exchange benchmarks.

About 2,000 resting orders across the eight products, a 50/50 mix of adds and cancels, and about 20% of
the adds priced to cross. Commands are tuples so that building them costs nothing during the timed run:
`(ADD, owner, product, side, price, volume)` and `(CANCEL, order_id, owner)`.
"""

from __future__ import annotations

import random

from cmi_sim.products import CMI_SYMBOLS

try:
    from naive_book import NaiveBook
except ImportError:  # imported as benchmarks.command_stream
    from benchmarks.naive_book import NaiveBook

ADD = "add"
CANCEL = "cancel"
OWNERS = tuple(f"trader{i}" for i in range(8))


def command_stream(n_commands: int, seed: int = 7, resting_target: int = 2000, mid: int = 1000,
                   cross_share: float = 0.2) -> tuple[list[tuple], list[tuple]]:
    """(warm-up adds that build the resting book, then the timed 50/50 add/cancel commands).

    Cancels name orders by their position in submission order (1-based, as the engine numbers them) and
    carry the order's owner (the exchange checks it). The stream is played on a naive book as it is
    built: at or above `resting_target` orders a cancel names a resting order; below it, an order that
    has already filled or been cancelled (as bots often do), which holds the book near the target.
    """
    rng = random.Random(seed)
    warmup: list[tuple] = []
    commands: list[tuple] = []
    live: list[int] = []
    owner_of: dict[int, str] = {}
    next_id = 1
    book = NaiveBook(CMI_SYMBOLS)

    def add(target: list[tuple], crossing: bool) -> None:
        nonlocal next_id
        product = rng.choice(CMI_SYMBOLS)
        side = rng.choice((1, -1))
        offset = rng.randint(1, 40)
        # Non-crossing orders rest on their own side of the mid; crossing ones reach past it.
        price = mid - side * offset if not crossing else mid + side * rng.randint(1, 10)
        owner = rng.choice(OWNERS)
        volume = rng.randint(1, 10)
        target.append((ADD, owner, product, side, price, volume))
        book.add(product, side, price, volume)
        live.append(next_id)
        owner_of[next_id] = owner
        next_id += 1

    while len(warmup) < resting_target:
        add(warmup, crossing=False)
    for _ in range(n_commands):
        if rng.random() < 0.5:
            if len(book.orders) >= resting_target or len(book.orders) == next_id - 1:
                order_id = 0
                while order_id not in book.orders:  # drop ids that have been filled meanwhile
                    order_id = live.pop(rng.randrange(len(live)))
                book.cancel(order_id)
            else:  # below target: cancel an order that has already gone, as bots often do
                order_id = rng.randrange(1, next_id)
                while order_id in book.orders:
                    order_id = rng.randrange(1, next_id)
            commands.append((CANCEL, order_id, owner_of[order_id]))
        else:
            add(commands, crossing=rng.random() < cross_share)
    return warmup, commands
