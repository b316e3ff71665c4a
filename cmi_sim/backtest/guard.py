"""Network guard: nothing a bot does reaches the real network, and every attempt is recorded.

``requests`` never gets here (the transport answers it in-process). Everything else fails the way
a machine without network fails, with a message that says why:

- ``socket.getaddrinfo``, ``socket.create_connection``, ``socket.socket.connect``/``connect_ex``
  raise ``OSError("real network access is disabled in a backtest: <host>")``;
- ``urllib.request.urlopen`` (any opener) raises ``urllib.error.URLError`` for http(s)/ftp URLs;
- ``http.client.HTTPConnection.connect`` (also HTTPS, and urllib3 used directly goes through
  ``getaddrinfo``) raises that OSError before any byte is sent.
"""

from __future__ import annotations

import http.client
import socket
import urllib.error
import urllib.request
from typing import Any, Callable

__all__ = ["NetworkGuard", "BLOCKED_MESSAGE"]

BLOCKED_MESSAGE = "real network access is disabled in a backtest"


class NetworkGuard:
    """Installs the blocks; ``blocked`` lists every attempt (kind, target, virtual time in ns)."""

    def __init__(self, now_ns: Callable[[], int]) -> None:
        self._now_ns = now_ns
        self.blocked: list[dict[str, Any]] = []

    def _refuse(self, kind: str, target: str) -> OSError:
        self.blocked.append({"kind": kind, "target": target, "t_ns": self._now_ns()})
        return OSError(f"{BLOCKED_MESSAGE}: {target}")

    def install(self) -> None:
        guard = self

        def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
            raise guard._refuse("socket.getaddrinfo", f"{host}:{port}")

        def create_connection(address: Any, *args: Any, **kwargs: Any) -> Any:
            raise guard._refuse("socket.create_connection", _fmt_address(address))

        def connect(self: socket.socket, address: Any) -> None:
            raise guard._refuse("socket.connect", _fmt_address(address))

        def connect_ex(self: socket.socket, address: Any) -> int:
            raise guard._refuse("socket.connect_ex", _fmt_address(address))

        def http_connect(self: http.client.HTTPConnection) -> None:
            raise guard._refuse("http.client", f"{self.host}:{self.port}")

        original_open = urllib.request.OpenerDirector.open

        def opener_open(self: urllib.request.OpenerDirector, fullurl: Any, *args: Any, **kwargs: Any) -> Any:
            url = fullurl if isinstance(fullurl, str) else fullurl.full_url
            if url.split(":", 1)[0].lower() in ("http", "https", "ftp"):
                raise urllib.error.URLError(guard._refuse("urllib.request", url))
            return original_open(self, fullurl, *args, **kwargs)

        socket.getaddrinfo = getaddrinfo
        socket.create_connection = create_connection
        socket.socket.connect = connect  # type: ignore[method-assign]
        socket.socket.connect_ex = connect_ex  # type: ignore[method-assign]
        http.client.HTTPConnection.connect = http_connect  # type: ignore[method-assign]
        urllib.request.OpenerDirector.open = opener_open  # type: ignore[method-assign]


def _fmt_address(address: Any) -> str:
    if isinstance(address, tuple) and len(address) >= 2:
        return f"{address[0]}:{address[1]}"
    return str(address)
