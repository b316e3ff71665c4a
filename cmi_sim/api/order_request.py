"""Validation of `POST /api/order` bodies: every way a body can be wrong gets its own clear message."""

from __future__ import annotations

import json
import math
from typing import NamedTuple

from cmi_sim.engine import BUY, SELL
from cmi_sim.exchange.accounts import normalize_username, password_problem, username_problem
from cmi_sim.products import Product

MAX_PRICE_TICKS = 1_000_000_000
ORDER_TYPES = ("LIMIT", "GTC")  # accepted values of an optional `type`: every order is a GTC limit order
_SHOWN = 60  # characters of a client's value quoted in an error message


class BadRequest(Exception):
    """A client error; the message is shown to the client as `{"message": ...}` with status 400."""


class OrderRequest(NamedTuple):
    product: str
    side: int
    price_ticks: int
    volume: int


def shown(value: object) -> str:
    """`repr(value)`, cut short: error messages quote what was sent, never at length."""
    text = repr(value)
    return text if len(text) <= _SHOWN else text[:_SHOWN] + "…"


def _reject_constant(name: str) -> float:
    raise BadRequest(f"{name} is not a valid JSON number")


# json.loads(body, parse_constant=...) would build a new decoder per call; bodies are decoded as
# json.loads decodes bytes (UTF-8, -16 or -32 by their first bytes).
_decode = json.JSONDecoder(parse_constant=_reject_constant).decode


def parse_json_body(body: bytes) -> object:
    if not body:
        raise BadRequest("request body is empty: expected a JSON object")
    try:
        if isinstance(body, (bytes, bytearray)):
            text = body.decode(json.detect_encoding(body), "surrogatepass")
        else:
            text = body
            if text.startswith("\ufeff"):
                raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", text, 0)
        return _decode(text)
    except BadRequest:
        raise
    except RecursionError:
        raise BadRequest("malformed JSON body: nested too deeply") from None
    except (ValueError, UnicodeDecodeError) as error:
        raise BadRequest(f"malformed JSON body: {error}") from None


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def parse_order(body: bytes, products: dict[str, Product], max_volume: int) -> OrderRequest:
    data = parse_json_body(body)
    if not isinstance(data, dict):
        raise BadRequest("order body must be a JSON object with product, price, side and volume")
    missing = [key for key in ("product", "price", "side", "volume") if key not in data]
    if missing:
        raise BadRequest(f"order is missing {', '.join(missing)}")
    symbol, price, side, volume = data["product"], data["price"], data["side"], data["volume"]
    kind = data.get("type")
    if kind is not None and kind not in ORDER_TYPES:
        raise BadRequest(f"type {shown(kind)} is not supported: only GTC limit orders exist (omit type, or "
                         f"send {' or '.join(ORDER_TYPES)})")
    if not isinstance(symbol, str):
        raise BadRequest(f"product must be a string, got {shown(symbol)}")
    product = products.get(symbol)
    if product is None:
        raise BadRequest(f"unknown product {shown(symbol)}; products are {', '.join(products)}")
    if side not in ("BUY", "SELL"):
        raise BadRequest(f"side must be \"BUY\" or \"SELL\", got {shown(side)}")
    if not _is_number(price):
        raise BadRequest(f"price must be a number, got {shown(price)}")
    if isinstance(price, int) and price > MAX_PRICE_TICKS * product.tick_size:  # before it meets a float
        raise BadRequest(f"price {shown(price)} is too large (at most {MAX_PRICE_TICKS * product.tick_size})")
    if not math.isfinite(price) or price <= 0:
        raise BadRequest(f"price must be a finite positive number, got {shown(price)}")
    ticks = price / product.tick_size
    if ticks != math.floor(ticks):
        raise BadRequest(f"price {shown(price)} is not on the tick grid of {symbol} (tick size {product.tick_size})")
    if ticks > MAX_PRICE_TICKS:
        raise BadRequest(f"price {shown(price)} is too large (at most {MAX_PRICE_TICKS * product.tick_size})")
    if not _is_number(volume) or (isinstance(volume, float) and (not math.isfinite(volume) or volume != int(volume))):
        raise BadRequest(f"volume must be a positive integer, got {shown(volume)}")
    volume = int(volume)
    if volume <= 0:
        raise BadRequest(f"volume must be a positive integer, got {shown(volume)}")
    if volume > max_volume:
        raise BadRequest(f"volume {volume} is too large (at most {max_volume})")
    return OrderRequest(symbol, BUY if side == "BUY" else SELL, int(ticks), volume)


def parse_login(body: bytes) -> tuple[str, str]:
    data = parse_json_body(body)
    if not isinstance(data, dict):
        raise BadRequest("login body must be a JSON object with username and password")
    username, password = data.get("username"), data.get("password")
    if not isinstance(username, str) or not username:
        raise BadRequest("username must be a non-empty string")
    if not isinstance(password, str):
        raise BadRequest("password must be a string")
    username = normalize_username(username)
    problem = username_problem(username) or password_problem(password)
    if problem is not None:
        raise BadRequest(problem)
    return username, password
