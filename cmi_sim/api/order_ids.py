"""Order ids on the wire: the engine numbers orders 1, 2, 3...; clients see UUID-shaped strings.

The mapping is a bijection with a per-run prefix derived from the seed, so ids look like the real
exchange's (version-4 UUIDs), cost nothing to make, and stay reproducible.
"""

from __future__ import annotations

import random


class OrderIdCodec:
    def __init__(self, seed: int = 0) -> None:
        bits = random.Random(f"order-ids-{seed}").getrandbits(64)
        hex16 = f"{bits:016x}"
        # xxxxxxxx-xxxx-4xxx-[89ab]xxx- then 12 hex digits of the engine's number
        self._prefix = f"{hex16[:8]}-{hex16[8:12]}-4{hex16[12:15]}-{'89ab'[bits & 3]}{hex16[1:4]}-"

    def encode(self, number: int) -> str:
        return f"{self._prefix}{number:012x}"

    def decode(self, text: str) -> int | None:
        """The engine's number for a wire id, or None for anything that is not one of ours."""
        if not isinstance(text, str) or len(text) != 36 or not text.startswith(self._prefix):
            return None
        try:
            return int(text[24:], 16)
        except ValueError:
            return None
