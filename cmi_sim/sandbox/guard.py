"""Network guard: nothing a bot does reaches the real network, and every attempt is recorded.

``requests``, aiohttp, httpx and urllib.request never get here (answered in-process). Everything else fails the way
a machine without network fails, with a message that says why:

- ``socket.getaddrinfo``, ``socket.create_connection``, ``socket.socket.connect``/``connect_ex``
  raise ``OSError("real network access is disabled in a backtest: <host>")``;
- ``urllib.request.urlopen`` raises ``urllib.error.URLError`` for ftp URLs (http and https are
  answered in-process by :mod:`cmi_sim.sandbox.clients`, like ``requests``);
- ``socket.bind`` (a bot's own server, e.g. an ``http.server`` dashboard) succeeds without a real
  port: ``getsockname`` gives the address asked for (port 0: a fixed fake port), ``listen``
  succeeds, ``accept`` and ``serve_forever`` wait for ever in virtual time; recorded as ``listen``;
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


_LOCAL_NAMES = ("", "localhost", "127.0.0.1", "0.0.0.0", "::1", "::")
FIRST_FAKE_PORT = 40_000  #: what a bot binding port 0 is told it got (deterministic, never real)


class NetworkGuard:
    """Installs the blocks; ``blocked`` lists every attempt (kind, target, virtual time in ns).

    ``quiet_fds`` is the loop's set of fds whose waits never end: a listening socket's fd goes
    there, so a server loop (``http.server``'s ``serve_forever``) waits in virtual time for ever.
    """

    def __init__(self, now_ns: Callable[[], int], quiet_fds: set[int] | None = None) -> None:
        self._now_ns = now_ns
        self.blocked: list[dict[str, Any]] = []
        self._quiet_fds = quiet_fds if quiet_fds is not None else set()
        self._listening: dict[int, tuple[Any, ...]] = {}  # fd -> the address the bot was told

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

        original_getsockname = socket.socket.getsockname
        original_close = socket.socket.close

        def bind(self: socket.socket, address: Any) -> None:
            # A bot's own server (a dashboard): binding "succeeds" without a real port, so runs
            # never collide and nothing outside can connect; it is reported among blocked uses.
            fd = self.fileno()
            if isinstance(address, tuple) and len(address) >= 2:
                port = address[1] or FIRST_FAKE_PORT + len(guard._listening)
                address = (address[0] or "0.0.0.0", port, *address[2:])
            guard._listening[fd] = address
            guard._quiet_fds.add(fd)
            guard.blocked.append({"kind": "listen", "target": _fmt_address(address), "t_ns": guard._now_ns()})

        def listen(self: socket.socket, *args: Any) -> None:
            if self.fileno() not in guard._listening:
                raise guard._refuse("socket.listen", "an unbound socket")

        def getsockname(self: socket.socket) -> Any:
            address = guard._listening.get(self.fileno())
            return address if address is not None else original_getsockname(self)

        def accept(self: socket.socket) -> Any:
            if self.fileno() not in guard._listening:
                raise guard._refuse("socket.accept", "an unbound socket")
            import gevent.event

            gevent.event.Event().wait()  # nothing ever connects
            raise OSError("accept was interrupted")

        def close(self: socket.socket) -> None:
            fd = self.fileno()
            if guard._listening.pop(fd, None) is not None:
                guard._quiet_fds.discard(fd)
            original_close(self)

        def gethostbyname(host: str) -> str:
            if host in _LOCAL_NAMES:
                return "127.0.0.1"
            raise guard._refuse("socket.gethostbyname", host)

        def gethostbyaddr(host: str) -> tuple[str, list[str], list[str]]:
            if host in _LOCAL_NAMES:
                return "localhost", [], ["127.0.0.1"]
            raise guard._refuse("socket.gethostbyaddr", host)

        def getfqdn(name: str = "") -> str:
            return "localhost" if name in _LOCAL_NAMES else name  # no resolver: the name as given

        def http_connect(self: http.client.HTTPConnection) -> None:
            raise guard._refuse("http.client", f"{self.host}:{self.port}")

        original_open = urllib.request.OpenerDirector.open

        def opener_open(self: urllib.request.OpenerDirector, fullurl: Any, *args: Any, **kwargs: Any) -> Any:
            url = fullurl if isinstance(fullurl, str) else fullurl.full_url
            if url.split(":", 1)[0].lower() == "ftp":  # http(s) is answered in-process (clients.py)
                raise urllib.error.URLError(guard._refuse("urllib.request", url))
            return original_open(self, fullurl, *args, **kwargs)

        socket.getaddrinfo = getaddrinfo
        socket.gethostbyname = gethostbyname
        socket.gethostbyaddr = gethostbyaddr
        socket.getfqdn = getfqdn
        socket.create_connection = create_connection
        socket.socket.connect = connect  # type: ignore[method-assign]
        socket.socket.bind = bind  # type: ignore[method-assign]
        socket.socket.listen = listen  # type: ignore[method-assign]
        socket.socket.getsockname = getsockname  # type: ignore[method-assign]
        socket.socket.accept = accept  # type: ignore[method-assign]
        socket.socket.close = close  # type: ignore[method-assign]
        socket.socket.connect_ex = connect_ex  # type: ignore[method-assign]
        http.client.HTTPConnection.connect = http_connect  # type: ignore[method-assign]
        urllib.request.OpenerDirector.open = opener_open  # type: ignore[method-assign]


def _fmt_address(address: Any) -> str:
    if isinstance(address, tuple) and len(address) >= 2:
        return f"{address[0]}:{address[1]}"
    return str(address)
