"""Private random sources for the market's agents, reproducible on every machine.

Each agent owns a `random.Random` seeded from a string (hashed with SHA-512 by `random`, so neither
PYTHONHASHSEED nor the platform changes it); the global `random` is never touched. Normal draws use the
Irwin-Hall sum of twelve uniforms: only additions, so no platform libm (log, cos) enters the results.
"""

from __future__ import annotations

import random


def agent_rng(seed: str, name: str) -> random.Random:
    return random.Random(f"cmi-sim market {seed} {name}")


def normal(rng: random.Random) -> float:
    """An approximately standard normal draw (mean 0, variance 1, tails cut at +-6)."""
    r = rng.random
    return (r() + r() + r() + r() + r() + r() + r() + r() + r() + r() + r() + r()) - 6.0
