"""Order bodies: decoded exactly as `json.loads` decodes bytes, and every bad one gets a clear 400."""

from __future__ import annotations

import json

import pytest

from cmi_sim.api.order_request import BadRequest, parse_json_body, parse_order
from cmi_sim.engine import BUY, SELL
from cmi_sim.products import cmi_products

PRODUCTS = {product.symbol: product for product in cmi_products()}

GOOD_BODIES = [
    b'{"product":"LON_ETF","price":101.0,"side":"BUY","volume":2}',
    '{"a": 2}'.encode("utf-16"),
    '{"a": 2}'.encode("utf-16-le"),
    '{"a": 2}'.encode("utf-32"),
    b'\xef\xbb\xbf{"a":1}',
    '{"a":"\u00e9\U0001f600"}'.encode(),
    b"[1, 2]",
    b'  {"nested": {"x": [1.5, -2, null, true]}}  ',
]


@pytest.mark.parametrize("body", GOOD_BODIES)
def test_a_body_decodes_as_json_loads_decodes_it(body):
    assert parse_json_body(body) == json.loads(body)


@pytest.mark.parametrize("body, message", [
    (b"", "request body is empty"),
    (b"{bad", "malformed JSON body: Expecting property name"),
    (b"\xff\xfe\x00", "malformed JSON body: 'utf-16-le' codec can't decode"),
    (b'\xef\xbb\xbf\xef\xbb\xbf{"a":1}', "malformed JSON body"),
    (b'{"price": NaN}', "NaN is not a valid JSON number"),
    (b'{"price": -Infinity}', "-Infinity is not a valid JSON number"),
])
def test_a_bad_body_is_a_bad_request_that_says_why(body, message):
    with pytest.raises(BadRequest, match=message.replace("(", r"\(")):
        parse_json_body(body)


def test_a_good_order_becomes_ticks_and_a_side():
    tick = PRODUCTS["LON_ETF"].tick_size
    order = parse_order(json.dumps({"product": "LON_ETF", "price": 7 * tick, "side": "SELL", "volume": 3.0}).encode(),
                        PRODUCTS, 100)
    assert order == ("LON_ETF", SELL, 7, 3)
    assert parse_order(b'{"product":"LON_ETF","price":%r,"side":"BUY","volume":1}' % (2 * tick), PRODUCTS, 100).side == BUY
