"""Open volume resting per (owner, product, side), kept from the engine's events.

The position limit counts the caller's resting same-side volume on every order; asking the engine would
walk all of the owner's orders each time (a market maker has hundreds). This keeps the sums instead:
an acceptance adds the order's volume, a fill takes the filled volume from both the taker and the maker,
a cancel or a reduction takes what it removed.
"""

from __future__ import annotations

from collections.abc import Iterable

from cmi_sim.engine import Fill, OrderAccepted, OrderCancelled, OrderReduced


class RestingVolumes:
    def __init__(self) -> None:
        self.volumes: dict[tuple[str, str, int], int] = {}

    def volume(self, owner: str, product: str, side: int) -> int:
        return self.volumes.get((owner, product, side), 0)

    def apply(self, events: Iterable[object]) -> None:
        volumes = self.volumes
        for event in events:
            kind = type(event)
            if kind is OrderAccepted:
                key = (event.owner, event.product, event.side)
                volumes[key] = volumes.get(key, 0) + event.volume
            elif kind is Fill:
                volumes[(event.taker, event.product, event.taker_side)] -= event.volume
                volumes[(event.maker, event.product, -event.taker_side)] -= event.volume
            elif kind is OrderCancelled:
                volumes[(event.owner, event.product, event.side)] -= event.volume
            elif kind is OrderReduced:
                volumes[(event.owner, event.product, event.side)] -= event.volume_removed
