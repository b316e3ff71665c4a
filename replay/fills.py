"""Fill models: how a bot's resting order is estimated to fill against a replayed market.

The bot was not in the recorded market, so its queue position is an estimate:

- `queue` (default): it joins behind the replayed volume shown at its level (`ahead`); recorded trades at
  its price consume `ahead` first, then fill it; cancels at the level (drops the trades do not explain)
  shrink `ahead` in proportion (cancels are spread evenly over the queue); trades through its price fill
  it at once; a replayed quote that crosses it trades with it.
- `optimistic`: always first in its queue (`ahead` = 0); otherwise as `queue`. An upper bound on fills.
- `pessimistic`: cancels never advance it (they are assumed to come from behind it), and replayed quotes
  that cross it are withheld instead of trading with it; only recorded trades fill it. A lower bound.

In every model `ahead` never exceeds what the recorded level still holds.
"""

from __future__ import annotations

QUEUE = "queue"
OPTIMISTIC = "optimistic"
PESSIMISTIC = "pessimistic"
FILL_MODELS = (QUEUE, OPTIMISTIC, PESSIMISTIC)


def check_fill_model(name: str) -> str:
    if name not in FILL_MODELS:
        raise ValueError(f"fill_model must be one of {', '.join(FILL_MODELS)}, got {name!r}")
    return name


def initial_ahead(model: str, visible: int, previous_bot_ahead: int) -> int:
    """Volume ahead of a bot order joining a level showing `visible` replayed volume. Never less than
    the bot's earlier order there (FIFO among the bot's own orders matches the engine's)."""
    if model == OPTIMISTIC:
        return 0
    return max(visible, previous_bot_ahead)


def after_cancels(model: str, ahead: int, cancelled: int, level_before: int) -> int:
    """`ahead` once `cancelled` volume left a level that held `level_before` (after trades)."""
    if model != QUEUE or cancelled <= 0 or ahead <= 0:
        return ahead
    return ahead - cancelled * ahead // max(level_before, 1)  # rounds the reduction down: no optimism


def allocate_at_level(volume: int, aheads: list[int], remaining: list[int]) -> list[int]:
    """Split `volume` traded at a bot level over its orders (FIFO): each gets what reaches it past the
    volume ahead of it and the bot's earlier orders there."""
    out: list[int] = []
    given = 0
    for ahead, rem in zip(aheads, remaining):
        reach = volume - ahead - given
        qty = min(rem, reach) if reach > 0 else 0
        out.append(qty)
        given += qty
    return out
