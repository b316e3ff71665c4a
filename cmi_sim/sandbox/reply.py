"""The one HTTP reply type: a sandbox environment's router returns it, and the API's route table answers with it.

``Reply(status, body, headers)``: ``body`` is bytes, ``headers`` a tuple of (name, value) pairs (a
mapping is accepted and turned into pairs). It used to exist three times with different field orders;
a body that is not bytes raises at once, so a call written for the old ``(status, headers, body)``
order fails loudly instead of swapping the two.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

__all__ = ["JSON_HEADERS", "Reply"]

JSON_HEADERS: tuple[tuple[str, str], ...] = (("Content-Type", "application/json; charset=utf-8"),)


class _Fields(NamedTuple):
    status: int
    body: bytes
    headers: tuple[tuple[str, str], ...]


class Reply(_Fields):
    __slots__ = ()

    def __new__(cls, status: int, body: bytes, headers: Any = JSON_HEADERS) -> Reply:
        if type(body) is not bytes:
            if not isinstance(body, (bytes, bytearray, memoryview)):
                raise TypeError(f"Reply(status, body, headers): body must be bytes, not {type(body).__name__}")
            body = bytes(body)
        if type(headers) is not tuple:
            headers = tuple(headers.items()) if isinstance(headers, Mapping) else tuple(tuple(p) for p in headers)
        return _Fields.__new__(cls, status, body, headers)

    def header(self, name: str) -> str | None:
        """The first value of a header, by case-insensitive name."""
        lower = name.lower()
        for key, value in self.headers:
            if key.lower() == lower:
                return value
        return None
