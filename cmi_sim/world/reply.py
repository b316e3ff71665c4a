"""The reply of an in-process data API: a status and a JSON-ready body (unpacks as a 2-tuple)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple
from urllib.parse import parse_qsl


class DataReply(NamedTuple):
    status: int
    body: Any


def query_params(query: str) -> dict[str, str]:
    """Query string to a dict; flags without a value (`_sorted`) map to "". Last value wins."""
    return dict(parse_qsl(query, keep_blank_values=True))


def header(headers: Mapping[str, str] | None, name: str) -> str | None:
    """Case-insensitive header lookup (HTTP header names are case-insensitive)."""
    for k, v in (headers or {}).items():
        if k.lower() == name.lower():
            return v
    return None

