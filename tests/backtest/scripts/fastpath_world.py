"""A world for the fast-path differential test: every answer is a pure function of the request.

Host ``exchange.test`` (``other.test`` and anything else is refused):
- ``/echo``: JSON with the method, path, raw query, every header (in order) and the body;
  ``?status=N`` answers with status N, ``?ctype=...`` with that content type;
- ``/status/N``: status N with a small JSON error body;
- ``/text``, ``/text-latin``, ``/bytes``, ``/html``, ``/empty``, ``/links``: non-JSON bodies,
  charsets, no body, a ``Link`` header;
- ``/redirect`` (302 to ``/echo?from=redirect``), ``/redirect307`` (307 to ``/echo``).
"""

from __future__ import annotations

import json
from typing import Any, Mapping
from urllib.parse import urlsplit

from cmi_sim.sandbox.environment import ConnectionRefused, Reply, Environment

JSON = "application/json; charset=utf-8"


def route(method: str, url: str, headers: Mapping[str, str], body: bytes | None) -> Reply:
    parts = urlsplit(url)
    if parts.hostname != "exchange.test":
        raise ConnectionRefused(url)
    path = parts.path
    query = dict(p.split("=", 1) for p in parts.query.split("&") if "=" in p)
    if path == "/echo":
        echo = {
            "method": method,
            "path": path,
            "query": parts.query,
            "headers": [[k, v if isinstance(v, str) else repr(v)] for k, v in headers.items()],
            "body": None if body is None else body.decode("utf-8", "replace"),
            "body_type": type(body).__name__,
        }
        status = int(query.get("status", "200"))
        ctype = query.get("ctype", JSON).replace("%2F", "/").replace("+", " ")
        return Reply(status, json.dumps(echo, ensure_ascii=False).encode(), {"Content-Type": ctype, "X-Echo": "1"})
    if path.startswith("/status/"):
        status = int(path.rsplit("/", 1)[1])
        return Reply(status, json.dumps({"error": f"status {status}", "é": "ü"}).encode(), {"Content-Type": JSON})
    if path == "/text":
        return Reply(200, "héllo wörld ✓\nline 2\r\nline 3".encode(), {"Content-Type": "text/plain; charset=utf-8"})
    if path == "/text-latin":
        return Reply(200, "café ☕".encode(), {"Content-Type": "text/plain"})
    if path == "/bytes":
        return Reply(200, bytes(range(256)), {"Content-Type": "application/octet-stream"})
    if path == "/html":
        return Reply(200, b"<html><body>hi</body></html>", {"Content-Type": "text/html"})
    if path == "/empty":
        return Reply(204, b"", {})
    if path == "/links":
        return Reply(200, b"[1, 2]", {"Content-Type": JSON, "Link": '<http://exchange.test/echo?page=2>; rel="next"'})
    if path == "/redirect":
        return Reply(302, b"{}", {"Location": "/echo?from=redirect", "Content-Type": JSON})
    if path == "/redirect307":
        return Reply(307, b"", {"Location": "http://exchange.test/echo?from=307"})
    return Reply(404, b'{"error": "not found"}', {"Content-Type": JSON})


def make_environment(ctx: Any) -> Environment:
    return Environment(route)
