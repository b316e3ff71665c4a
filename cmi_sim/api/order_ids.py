"""Order ids on the wire: the engine numbers orders 1, 2, 3...; clients see UUID-shaped strings.

The mapping is a bijection with a per-run prefix, so ids look like the real exchange's (version-4
UUIDs) and cost nothing to make. A backtest derives the prefix from its seed (reproducible); a server
draws a random one (`OrderIdCodec.random()`) and keeps it in its journal, so an id from an earlier run
never names a new order. Only the canonical spelling (lower-case, as issued) decodes.
"""

from __future__ import annotations

import random
import re
import secrets

_NUMBER = re.compile(r"[0-9a-f]{12}\Z")


class OrderIdCodec:
    def __init__(self, seed: int = 0, prefix_bits: int | None = None) -> None:
        bits = random.Random(f"order-ids-{seed}").getrandbits(64) if prefix_bits is None else prefix_bits
        self.prefix_bits = bits
        hex16 = f"{bits:016x}"
        # xxxxxxxx-xxxx-4xxx-[89ab]xxx- then 12 hex digits of the engine's number
        self._prefix = f"{hex16[:8]}-{hex16[8:12]}-4{hex16[12:15]}-{'89ab'[bits & 3]}{hex16[1:4]}-"

    @classmethod
    def random(cls) -> OrderIdCodec:
        return cls(prefix_bits=secrets.randbits(64))

    def encode(self, number: int) -> str:
        return f"{self._prefix}{number:012x}"

    def decode(self, text: str) -> int | None:
        """The engine's number for a wire id, or None for anything that is not one of ours as issued."""
        if not isinstance(text, str) or len(text) != 36 or not text.startswith(self._prefix):
            return None
        number = text[24:]
        return int(number, 16) if _NUMBER.match(number) else None
