"""`serve --proxy-port`: an HTTP and HTTPS forward proxy for the data APIs' hosts and the exchange's.

uvicorn cannot take `CONNECT`, so this small asyncio listener runs beside it, on the server's loop:

- `CONNECT host:port`: for a data API's host or an exchange host, `200 Connection Established`, then TLS
  with a certificate for `host` from the local CA (`ca.py`); each request read from the tunnel goes to
  the server's own port with its target rewritten to absolute form (`GET https://host/path`), where
  the LiveDoor routes it by host; the response is relayed back and the tunnel closes after it. Any
  other host: `403` with a message that says what this proxy serves.
- Any other request (`GET http://host/path`, absolute form): relayed to the server's own port as it
  came; the LiveDoor serves or refuses it.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable

from cmi_sim.live.ca import CertificateAuthority
from cmi_sim.live.door import EXCHANGE_HOSTS, refusal_message
from cmi_sim.world.service import HOSTS as DATA_HOSTS

MAX_HEAD = 64 * 1024


class ForwardProxy:
    """Listens on `host:port`; forwards to the app at `upstream()` -> (host, port), known once it runs."""

    def __init__(self, upstream: Callable[[], tuple[str, int]], ca: CertificateAuthority,
                 exchange_hosts: frozenset[str] = frozenset()) -> None:
        self.upstream = upstream
        self.ca = ca
        self.tunnel_hosts = DATA_HOSTS | EXCHANGE_HOSTS | {h.lower() for h in exchange_hosts}
        self.server: asyncio.AbstractServer | None = None
        self.port: int | None = None  # once listening

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> int:
        self.server = await asyncio.start_server(self._client, host, port)
        self.port = self.server.sockets[0].getsockname()[1]
        return self.port

    async def close(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await _read_head(reader)
            if head is None:
                return
            method, target, _version = head.split(b"\r\n", 1)[0].decode("latin-1").split(" ", 2)
            if method.upper() == "CONNECT":
                await self._tunnel(target, reader, writer)
            else:
                await self._relay(head, reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError, ValueError, OSError):
            pass
        finally:
            writer.close()

    async def _tunnel(self, target: str, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        host = target.rsplit(":", 1)[0].strip("[]").lower()
        if host not in self.tunnel_hosts:
            await _answer(writer, 403, "Forbidden", refusal_message(host))
            return
        writer.write(b"HTTP/1.1 200 Connection Established\r\n\r\n")
        await writer.drain()
        await writer.start_tls(self.ca.context_for(host))
        head = await _read_head(reader)
        if head is None:
            return
        request_line, rest = head.split(b"\r\n", 1)
        method, path, version = request_line.decode("latin-1").split(" ", 2)
        absolute = f"{method} https://{host}{path} {version}\r\n".encode("latin-1")
        await self._relay(absolute + rest, reader, writer)

    async def _relay(self, head: bytes, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """One request to the app (with `Connection: close`), its response relayed until the app closes."""
        lines = [line for line in head.split(b"\r\n")[:-2]
                 if not line.lower().startswith((b"connection:", b"proxy-connection:", b"keep-alive:"))]
        length = 0
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value.strip())
            elif name.strip().lower() == b"transfer-encoding":
                await _answer(writer, 411, "Length Required", "cmi-sim's proxy needs a Content-Length on a "
                                                              "request body (chunked uploads are not supported)")
                return
        body = await reader.readexactly(length) if length else b""
        up_host, up_port = self.upstream()
        up_reader, up_writer = await asyncio.open_connection(up_host, up_port)
        try:
            up_writer.write(b"\r\n".join(lines) + b"\r\nConnection: close\r\n\r\n" + body)
            await up_writer.drain()
            while chunk := await up_reader.read(65536):
                writer.write(chunk)
                await writer.drain()
        finally:
            up_writer.close()


async def _answer(writer: asyncio.StreamWriter, status: int, reason: str, message: str) -> None:
    body = json.dumps({"message": message}).encode()
    writer.write(f"HTTP/1.1 {status} {reason}\r\nContent-Type: application/json; charset=utf-8\r\n"
                 f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode() + body)
    await writer.drain()


async def _read_head(reader: asyncio.StreamReader) -> bytes | None:
    try:
        return await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError:
        return None
    except asyncio.LimitOverrunError:
        raise ValueError("request head too large") from None


def trust_lines(proxy_url: str, ca: CertificateAuthority) -> list[str]:
    """How to send a bot through the proxy and trust its certificates."""
    return [f"  HTTP(S) proxy for the data APIs and the exchange: {proxy_url}",
            f"    HTTP_PROXY={proxy_url} HTTPS_PROXY={proxy_url} SSL_CERT_FILE={ca.cert_path} "
            f"REQUESTS_CA_BUNDLE={ca.cert_path} your-bot"]


async def serve_proxy(server, proxy: ForwardProxy, port: int, say: Callable[[str], None]) -> None:
    """Run `proxy` beside an ExchangeServer once it listens (a background job of the server)."""
    while not server.started:
        await asyncio.sleep(0.02)
    host = server.config.host
    bound = await proxy.start(host, port)
    say("\n".join(trust_lines(f"http://{host}:{bound}", proxy.ca)))
    try:
        await asyncio.Event().wait()
    finally:
        await proxy.close()


def proxy_for(server, ca_dir, exchange_hosts: frozenset[str] = frozenset()) -> ForwardProxy:
    """A ForwardProxy whose upstream is `server`'s own port."""
    def upstream() -> tuple[str, int]:
        host = server.config.host
        return ("127.0.0.1" if host in ("0.0.0.0", "::", "") else host), server.port

    return ForwardProxy(upstream, CertificateAuthority(ca_dir), exchange_hosts)
