"""The fast event-line encoder writes exactly what the JSON encoder writes for each event's record."""

from __future__ import annotations

import json
import random

from cmi_sim.engine import event_record
from cmi_sim.exchange import Exchange, ExchangeRules, TradingHours
from cmi_sim.exchange.event_lines import EventLineEncoder
from cmi_sim.products import CMI_SYMBOLS, cmi_products

REFERENCE = json.JSONEncoder(separators=(",", ":")).encode
OWNERS = ("alice", 'quote"in name', "back\\slash", "ünï-cødé", "tab\tand\nnewline", "")


def mixed_exchange_log(seed: int = 3) -> list:
    """Accepted orders, fills, cancels, reductions, rejections of odd raw values, unknown cancels, tape
    prints and a settlement."""
    rng = random.Random(seed)
    exchange = Exchange(cmi_products(), ExchangeRules(position_limit=40), TradingHours(0, 10_000))
    order_ids: list[tuple[str, int]] = []
    for ts in range(1, 2_000):
        owner, product = rng.choice(OWNERS), rng.choice(CMI_SYMBOLS)
        roll = rng.random()
        if roll < 0.55:
            result = exchange.place(ts, owner, product, rng.choice((1, -1)), rng.randint(95, 105), rng.randint(1, 9))
            if result.accepted is not None:
                order_ids.append((owner, result.accepted.order_id))
        elif roll < 0.8 and order_ids:
            exchange.cancel(ts, *order_ids.pop(rng.randrange(len(order_ids))))
        elif roll < 0.85 and order_ids:
            owner, order_id = rng.choice(order_ids)
            exchange.reduce_order(ts, owner, order_id, 1)
        elif roll < 0.9:
            exchange.place(ts, owner, rng.choice((product, "NOPE")), rng.choice((1, 2)), rng.choice((100.5, -3, "x")),
                           rng.choice((1, 0, 2.0)))
        elif roll < 0.95:
            exchange.cancel(ts, owner, 10**9 + ts)
        else:
            exchange.print_trade(ts, product, "replay", "replay", rng.randint(1, 5), rng.randint(95, 105))
    exchange.settle(20_000, {symbol: 100.25 for symbol in CMI_SYMBOLS})
    return exchange.log


def test_every_kind_of_event_encodes_as_the_json_encoder_does():
    log = mixed_exchange_log()
    kinds = {type(event).__name__ for event in log}
    assert kinds >= {"OrderAccepted", "Fill", "OrderCancelled", "OrderReduced", "OrderRejected", "CancelRejected",
                     "TapePrint", "Settled"}
    encode = EventLineEncoder()
    for event in log:
        assert encode(event) == REFERENCE(event_record(event))


def test_lines_end_with_a_newline_and_parse_back_to_the_record():
    log = mixed_exchange_log(seed=4)[:300]
    lines = list(EventLineEncoder().lines(log))
    assert all(line.endswith("\n") and "\n" not in line[:-1] for line in lines)
    assert [json.loads(line) for line in lines] == [json.loads(REFERENCE(event_record(e))) for e in log]
