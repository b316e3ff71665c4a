"""Client wire types against golden samples of real exchange responses."""

from __future__ import annotations

import ast
import json
import random
import re
from pathlib import Path
from typing import Any

import pytest

from cmi_sim.client import Order, OrderBook, OrderResponse, PriceLevel, Product, Side, Trade
from cmi_sim.client.parsing import (
    book_from_rest,
    book_from_stream,
    order_response_from_json,
    orders_from_json,
    positions_from_json,
    products_from_json,
    trades_from_json,
)

SAMPLES = json.loads((Path(__file__).resolve().parents[1] / "data" / "cmi-wire-samples.json").read_text())


def printed_order_to_json(printed: str) -> dict[str, Any]:
    """``OrderResponse(id='...', ..., targetUser=None)`` as printed by a bot -> the JSON it came from."""
    call = ast.parse(printed, mode="eval").body
    assert isinstance(call, ast.Call)
    return {keyword.arg: ast.literal_eval(keyword.value) for keyword in call.keywords}


def logged_fill_to_json(line: str) -> dict[str, Any]:
    """``SELL 4.0x TIDE_SPOT @ 3006.0 (buyer: , seller: Brestttt)`` -> an SSE trade object."""
    match = re.fullmatch(r"(BUY|SELL) (\S+)x (\S+) @ (\S+) \(buyer: (.*), seller: (.*)\)", line)
    assert match, line
    _, volume, product, price, buyer, seller = match.groups()
    return {"timestamp": "2026-03-01T02:17:31.000000000Z", "product": product, "buyer": buyer,
            "seller": seller, "volume": json.loads(volume), "price": json.loads(price)}


def rest_book_to_json(sample: dict[str, Any]) -> dict[str, Any]:
    """A printed book ("20.0 @ 3705" lines) -> the REST body; the printed asks run worst first."""
    def levels(lines: list[str]) -> list[dict[str, Any]]:
        return [{"price": json.loads(price), "volume": float(volume), "userOrderVolume": 0.0}
                for volume, price in (line.split(" @ ") for line in lines)]
    return {"product": "TIDE_SPOT", "tickSize": 1, "buy": levels(sample["bids"]),
            "sell": levels(list(reversed(sample["asks"])))}


PRODUCTS_JSON = [
    {"symbol": symbol, "tickSize": SAMPLES["products_test_exchange"]["tickSize"],
     "startingPrice": SAMPLES["products_test_exchange"]["startingPrice"],
     "contractSize": SAMPLES["products_test_exchange"]["contractSize"]}
    for symbol in SAMPLES["products_test_exchange"]["order"]
]
ORDER_SAMPLES = [s["printed"] for s in SAMPLES["order_response_resting"]]
ORDER_JSON = printed_order_to_json(ORDER_SAMPLES[0])
TRADE_JSON = logged_fill_to_json(SAMPLES["sse_trade_events_as_logged"]["lines"][0])


# --- every sample parses --------------------------------------------------------------------------

def test_products_sample_parses_in_exchange_order() -> None:
    products = products_from_json(PRODUCTS_JSON)
    assert [p.symbol for p in products] == SAMPLES["products_test_exchange"]["order"]
    assert products[0] == Product(symbol="TIDE_SPOT", tickSize=1, startingPrice=10, contractSize=1)


@pytest.mark.parametrize("printed", ORDER_SAMPLES)
def test_order_response_sample_parses_and_prints_identically(printed: str) -> None:
    response = order_response_from_json(printed_order_to_json(printed))
    assert repr(response) == printed  # the dataclass is spelled and ordered as the organisers' client
    assert response.targetUser is None and response.message == ""


def test_open_orders_list_parses_as_orders() -> None:
    orders = orders_from_json([ORDER_JSON, ORDER_JSON | {"status": "PART_FILLED", "filled": 1}])
    assert [type(o) for o in orders] == [Order, Order]
    assert orders[1].status == "PART_FILLED"


@pytest.mark.parametrize("line", SAMPLES["sse_trade_events_as_logged"]["lines"])
def test_logged_fill_sample_parses_as_trade(line: str) -> None:
    (trade,) = trades_from_json([logged_fill_to_json(line)])
    assert "" in (trade.buyer, trade.seller)  # the counterparty is hidden in own fills
    assert trade.volume > 0


@pytest.mark.parametrize("sample", SAMPLES["rest_orderbook_TIDE_SPOT_test_exchange"])
def test_rest_orderbook_sample_parses_best_first(sample: dict[str, Any]) -> None:
    book = book_from_rest(rest_book_to_json(sample))
    bids = [lvl.price for lvl in book.buy_orders]
    asks = [lvl.price for lvl in book.sell_orders]
    assert bids == sorted(bids, reverse=True) and asks == sorted(asks)
    assert book.product == "TIDE_SPOT" and book.tick_size == 1
    assert all(isinstance(lvl.volume, float) for lvl in book.buy_orders + book.sell_orders)


def test_positions_sample_maps_product_to_net_position() -> None:
    sample = SAMPLES["profit_current_user"][0]["positions_same_time"]
    body = [{"product": p, "netPosition": n, "volume": n} for p, n in sample.items()]
    assert positions_from_json(body) == sample
    assert positions_from_json([]) == {}


# --- strictness: exact key sets ------------------------------------------------------------------

@pytest.mark.parametrize(
    ("cls", "body"),
    [(Product, PRODUCTS_JSON[0]), (Order, ORDER_JSON), (OrderResponse, ORDER_JSON), (Trade, TRADE_JSON)],
)
def test_fixed_key_object_with_extra_key_raises_type_error(cls: type, body: dict[str, Any]) -> None:
    cls(**body)
    with pytest.raises(TypeError):
        cls(**body, sessionId="x")


@pytest.mark.parametrize(
    ("cls", "body", "missing"),
    [(Product, PRODUCTS_JSON[0], "contractSize"), (Order, ORDER_JSON, "targetUser"),
     (Trade, TRADE_JSON, "seller")],
)
def test_fixed_key_object_with_missing_key_raises_type_error(cls: type, body: dict[str, Any], missing: str) -> None:
    with pytest.raises(TypeError):
        cls(**{k: v for k, v in body.items() if k != missing})


# --- SSE order event -------------------------------------------------------------------------------

def test_stream_book_with_unordered_string_price_keys_sorts_best_first() -> None:
    event = {"productsymbol": "LHR_COUNT", "tickSize": 1,
             "buyOrders": {"946.0": {"marketVolume": 1.0, "userVolume": 0.0},
                           "2618": {"marketVolume": 6.0, "userVolume": 5.0},
                           "10000": {"marketVolume": 2.0, "userVolume": 0.0},
                           "2614.0": {"marketVolume": 13.0, "userVolume": 0.0}},
             "sellOrders": {"13275": {"marketVolume": 66.0, "userVolume": 0.0},
                            "2814.0": {"marketVolume": 1.0, "userVolume": 1.0},
                            "9999": {"marketVolume": 3.0, "userVolume": 0.0}}}
    book = book_from_stream(event)
    # Numeric order, not string order ("946.0" > "2618" as strings).
    assert [lvl.price for lvl in book.buy_orders] == [10000.0, 2618.0, 2614.0, 946.0]
    assert [lvl.price for lvl in book.sell_orders] == [2814.0, 9999.0, 13275.0]
    assert book.buy_orders[1] == PriceLevel(price=2618.0, volume=6.0, own_volume=5.0)
    assert (book.product, book.tick_size) == ("LHR_COUNT", 1)


def test_stream_book_with_empty_sides_is_empty() -> None:
    book = book_from_stream({"productsymbol": "WX_SUM", "tickSize": 1, "buyOrders": {}, "sellOrders": {}})
    assert book == OrderBook(product="WX_SUM", tick_size=1, buy_orders=[], sell_orders=[])


def plainly_parsed_stream_book(data: dict[str, Any]) -> OrderBook:
    """book_from_stream as first written: parse every price, sort best first."""
    def levels(side: dict[str, Any], descending: bool) -> list[PriceLevel]:
        rows = sorted(((float(price), lv["marketVolume"], lv["userVolume"]) for price, lv in side.items()),
                      reverse=descending)
        return [PriceLevel(price=price, volume=volume, own_volume=own) for price, volume, own in rows]

    return OrderBook(product=data["productsymbol"], tick_size=data["tickSize"],
                     buy_orders=levels(data.get("buyOrders") or {}, True),
                     sell_orders=levels(data.get("sellOrders") or {}, False))


def test_stream_books_match_plain_parsing_over_many_random_events() -> None:
    rng = random.Random(5)

    def side() -> dict[str, Any]:
        prices = rng.sample(range(90, 120), rng.randint(0, 8))
        return {rng.choice((f"{p}.0", str(p), f"{p}.50")): {"marketVolume": float(rng.randint(1, 9)),
                                                             "userVolume": float(rng.randint(0, 1))}
                for p in prices}

    for _ in range(2_000):
        event = json.loads(json.dumps({"productsymbol": "TIDE_SPOT", "tickSize": 1, "buyOrders": side(),
                                       "sellOrders": side()}))
        book = book_from_stream(event)
        assert book == plainly_parsed_stream_book(event)
        assert all(type(level.price) is float for level in book.buy_orders + book.sell_orders)


def test_stream_price_cache_stays_bounded_and_never_hides_a_bad_price() -> None:
    from cmi_sim.client import parsing

    for start in (0, parsing._PRICES_MAX):  # more distinct prices than the cache holds
        for price in range(start, start + parsing._PRICES_MAX):
            event = {"productsymbol": "X", "tickSize": 1, "buyOrders": {f"{price}.0": {"marketVolume": 1.0,
                                                                                      "userVolume": 0.0}}}
            assert book_from_stream(event).buy_orders[0].price == float(price)
        assert len(parsing._PRICES) <= parsing._PRICES_MAX
    bad = {"productsymbol": "X", "tickSize": 1, "buyOrders": {"12x": {"marketVolume": 1.0, "userVolume": 0.0}}}
    for _ in range(2):
        with pytest.raises(ValueError):
            book_from_stream(bad)


def test_side_is_a_string_enum_matching_the_wire() -> None:
    assert Side.BUY == "BUY" and Side("SELL") is Side.SELL
    assert json.dumps({"side": Side.SELL}) == '{"side": "SELL"}'
