"""A seeded command stream for the engine and exchange benchmarks.

About 2,000 resting orders across the eight products, a 50/50 mix of adds and cancels, and about 20% of
the adds priced to cross. Commands are tuples so that building them costs nothing during the timed run.
"""

from __future__ import annotations

import random

from cmi_sim.products import CMI_SYMBOLS

ADD = "add"
CANCEL = "cancel"
OWNERS = tuple(f"trader{i}" for i in range(8))


def command_stream(n_commands: int, seed: int = 7, resting_target: int = 2000, mid: int = 1000,
                   cross_share: float = 0.2) -> tuple[list[tuple], list[tuple]]:
    """(warm-up adds that build the resting book, then the timed 50/50 add/cancel commands).

    Cancels name orders by their position in submission order (1-based, as the engine numbers them),
    picking orders that are likely still resting.
    """
    rng = random.Random(seed)
    warmup: list[tuple] = []
    commands: list[tuple] = []
    live: list[int] = []
    next_id = 1

    def add(target: list[tuple], crossing: bool) -> None:
        nonlocal next_id
        product = rng.choice(CMI_SYMBOLS)
        side = rng.choice((1, -1))
        offset = rng.randint(1, 40)
        # Non-crossing orders rest on their own side of the mid; crossing ones reach past it.
        price = mid - side * offset if not crossing else mid + side * rng.randint(1, 10)
        target.append((ADD, rng.choice(OWNERS), product, side, price, rng.randint(1, 10)))
        live.append(next_id)
        next_id += 1

    while len(warmup) < resting_target:
        add(warmup, crossing=False)
    for _ in range(n_commands):
        if rng.random() < 0.5 and live:
            order_id = live.pop(rng.randrange(len(live)))
            commands.append((CANCEL, order_id))
        else:
            add(commands, crossing=rng.random() < cross_share)
    return warmup, commands
