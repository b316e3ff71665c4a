"""`event_record`: the JSON-ready form of every event type."""

from __future__ import annotations

import json

from cmi_sim.engine import (
    BUY,
    SELL,
    CancelRejected,
    Fill,
    MatchingEngine,
    OrderAccepted,
    OrderCancelled,
    OrderRejected,
    event_record,
)


def test_event_record_puts_type_first_then_fields_in_declaration_order():
    event = OrderAccepted(1, 2, 3, "a", "P", BUY, 100, 5)
    record = event_record(event)
    assert list(record) == ["type", *OrderAccepted._fields]
    assert record == {"type": "OrderAccepted", "seq": 1, "ts": 2, "order_id": 3, "owner": "a", "product": "P",
                      "side": 1, "price": 100, "volume": 5}


def test_event_record_of_every_engine_event_is_json_serialisable():
    engine = MatchingEngine(["P"])
    events = [*engine.submit(1, "a", "P", SELL, 100, 2), *engine.submit(2, "b", "P", BUY, 100, 1),
              *engine.cancel(3, 1), *engine.cancel(4, 1), *engine.submit(5, "a", "X", BUY, 1, 1)]
    assert [type(e) for e in events] == [OrderAccepted, OrderAccepted, Fill, OrderCancelled, CancelRejected,
                                         OrderRejected]
    for event in events:
        record = event_record(event)
        assert record["type"] == type(event).__name__
        assert json.loads(json.dumps(record)) == record
        assert tuple(record.values())[1:] == tuple(event)


def test_event_record_does_not_include_computed_properties():
    fill = Fill(1, 2, "P", 100, 1, 9, "taker", 8, "maker", SELL, 0)
    assert (fill.buyer, fill.seller) == ("maker", "taker")
    assert "buyer" not in event_record(fill)
