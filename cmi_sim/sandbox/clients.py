"""aiohttp, httpx and urllib.request answered in-process, like ``requests`` (see transport.py).

Every client goes to the same :class:`~cmi_sim.sandbox.transport.InProcessTransport`: the same
router, counters, refusal records, latency model (half before the router, half after, in virtual
time) and same-instant budget. Each is hooked where the library meets the network, so the library's
own code (parsing, redirects, cookies, timeouts, ``raise_for_status``) still runs:

- **aiohttp**: ``TCPConnector._create_connection`` returns aiohttp's own protocol connected to an
  in-process transport (:class:`_AiohttpTransport`), which reads the HTTP/1.1 request aiohttp
  writes and answers with HTTP/1.1 bytes (chunked for a stream). aiohttp's parser reads them.
- **httpx**: ``HTTPTransport.handle_request`` and ``AsyncHTTPTransport.handle_async_request``
  return ``httpx.Response`` objects whose streams read the world's byte stream (read timeouts in
  virtual time raise ``httpx.ReadTimeout``).
- **urllib.request**: ``AbstractHTTPHandler.do_open`` (http and https) returns an
  ``addinfourl`` response; non-2xx statuses become ``HTTPError`` through urllib's own processors.

A refused host raises what the library raises without a network: ``aiohttp.ClientConnectionError``,
``httpx.ConnectError``, ``urllib.error.URLError``. aiohttp and httpx are patched when the bot
imports them (an import hook), so bots without them pay nothing.

Async streams are read by a helper green thread that hands each chunk to the event loop with
``call_soon_threadsafe``: the loop never blocks on the world.
"""

from __future__ import annotations

import asyncio
import http.client
import importlib.abc
import importlib.machinery
import io
import sys
import urllib.error
import urllib.request
import urllib.response
from collections.abc import Sequence
from types import ModuleType
from typing import Any, Callable

import gevent
from requests.structures import CaseInsensitiveDict

from cmi_sim.sandbox.environment import ConnectionRefused, Reply, StreamReply
from cmi_sim.sandbox.transport import BUDGET_SLEEP_S

__all__ = ["install_clients"]

_HOP_HEADERS = ("content-length", "transfer-encoding", "connection")


def install_clients(transport: Any) -> None:
    """Answer urllib.request now, aiohttp and httpx once imported (or now if they already are)."""
    _patch_urllib(transport)
    patches = {"aiohttp": _patch_aiohttp, "httpx": _patch_httpx}
    hook = _PatchAfterImport(transport, {})
    for name, patch in patches.items():
        if name in sys.modules:
            patch(transport, sys.modules[name])
        else:
            hook.patches[name] = patch
    if hook.patches:
        sys.meta_path.insert(0, hook)
    if "trio" not in sys.modules:
        sys.meta_path.insert(0, _NoTrio())


class _NoTrio(importlib.abc.MetaPathFinder):
    """trio cannot run on the virtual clock (it wants epoll, which gevent removes). Libraries that
    use it when present (httpcore, anyio) see it as not installed and use asyncio."""

    def find_spec(self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None) -> Any:
        if fullname == "trio" or fullname.startswith("trio."):
            raise ImportError("trio is not supported in a backtest (use asyncio)", name=fullname)
        return None


class _PatchAfterImport(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds a client package with the normal finders, then patches it right after it executes."""

    def __init__(self, transport: Any, patches: dict[str, Callable[[Any, ModuleType], None]]) -> None:
        self.transport = transport
        self.patches = patches
        self._loaders: dict[str, Any] = {}

    def find_spec(self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None) -> Any:
        if fullname not in self.patches:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or spec.loader is None:
            return None
        self._loaders[fullname] = spec.loader
        spec.loader = self
        return spec

    def create_module(self, spec: Any) -> ModuleType | None:
        return self._loaders[spec.name].create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        self._loaders[module.__name__].exec_module(module)
        patch = self.patches.pop(module.__name__, None)
        if patch is not None:
            patch(self.transport, module)


# -- the shared request steps ----------------------------------------------------------------------
def _start(transport: Any, sleep: Callable[[float], None]) -> None:
    """Count the request, honour the same-instant budget, sleep the first half of the latency."""
    transport.n_requests += 1
    transport._check_budget()
    half = transport.latency_ns // 2
    if half:
        sleep(half / 1e9)


def _finish(transport: Any, sleep: Callable[[float], None]) -> None:
    rest = transport.latency_ns - transport.latency_ns // 2
    if rest:
        sleep(rest / 1e9)


async def _astart(transport: Any) -> None:
    transport.n_requests += 1
    if transport._over_budget():
        await asyncio.sleep(BUDGET_SLEEP_S)
        transport._new_instant()
    half = transport.latency_ns // 2
    if half:
        await asyncio.sleep(half / 1e9)


async def _afinish(transport: Any) -> None:
    rest = transport.latency_ns - transport.latency_ns // 2
    if rest:
        await asyncio.sleep(rest / 1e9)


def _route(transport: Any, method: str, url: str, headers: dict[str, str], body: bytes | None) -> Reply | StreamReply:
    """The router's answer; a refused host is recorded and re-raised."""
    try:
        reply = transport.router(method, url, CaseInsensitiveDict(headers), body)
    except ConnectionRefused:
        transport.refused.append({"method": method, "url": url, "t_ns": transport._now_ns()})
        raise
    if isinstance(reply, StreamReply):
        transport.n_streams += 1
    return reply


def _refused_message(url: str) -> str:
    return f"network is disabled: no route for {url}"


def _reply_headers(reply: Reply | StreamReply) -> list[tuple[str, str]]:
    return [(k, v) for k, v in reply.headers if k.lower() not in _HOP_HEADERS]


class _AsyncChunks:
    """A world byte stream read by a helper green thread, chunks handed to an asyncio loop."""

    def __init__(self, loop: asyncio.AbstractEventLoop, stream: Any, deliver: Callable[[bytes], None]) -> None:
        self._stream = stream
        self._loop = loop
        self._deliver = deliver
        self._reader = gevent.spawn(self._pump)

    def _pump(self) -> None:
        while True:
            data = self._stream.read(None)
            if data is None:
                continue
            if self._loop.is_closed():
                return
            self._loop.call_soon_threadsafe(self._deliver, data)
            if not data:
                return

    def close(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            stream.close()
        if self._reader is not None and not self._reader.dead and self._reader is not gevent.getcurrent():
            self._reader.kill(block=False)


# -- urllib.request --------------------------------------------------------------------------------
class _StreamFile(io.RawIOBase):
    """A world byte stream as a raw file (what ``HTTPResponse.fp`` is); timeouts as a socket's."""

    def __init__(self, stream: Any, timeout_s: float | None) -> None:
        self._stream = stream
        self._timeout_s = timeout_s
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if not self._pending:
            if self._stream is None:
                return 0
            data = self._stream.read(self._timeout_s)
            if data is None:
                self.close()
                raise TimeoutError("timed out")
            if not data:
                self.close()
                return 0
            self._pending = data
        n = min(len(buffer), len(self._pending))
        buffer[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n

    def close(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            stream.close()
        super().close()


def _http_message(headers: list[tuple[str, str]]) -> http.client.HTTPMessage:
    raw = "".join(f"{k}: {v}\r\n" for k, v in headers) + "\r\n"
    return http.client.parse_headers(io.BytesIO(raw.encode("latin-1")))


def _patch_urllib(transport: Any) -> None:
    sleep = transport._sleep

    def do_open(handler: Any, http_class: Any, req: urllib.request.Request, **kwargs: Any) -> Any:
        url = req.get_full_url()
        method = req.get_method()
        headers = dict(req.unredirected_hdrs)
        headers.update(req.headers)
        headers = {k.title(): v for k, v in headers.items()}
        body = req.data
        if body is not None and not isinstance(body, (bytes, bytearray)):
            body = b"".join(part if isinstance(part, bytes) else bytes(part) for part in body)
        _start(transport, sleep)
        try:
            reply = _route(transport, method, url, headers, bytes(body) if body is not None else None)
        except ConnectionRefused:
            raise urllib.error.URLError(OSError(_refused_message(url))) from None
        _finish(transport, sleep)
        reason = http.client.responses.get(reply.status, "")
        header_items = _reply_headers(reply)
        if isinstance(reply, StreamReply):
            timeout = req.timeout if isinstance(req.timeout, (int, float)) else None
            fp: Any = io.BufferedReader(_StreamFile(reply.stream, timeout))
        else:
            header_items.append(("Content-Length", str(len(reply.body))))
            fp = io.BytesIO(reply.body)
        response = urllib.response.addinfourl(fp, _http_message(header_items), url, reply.status)
        response.msg = reason  # type: ignore[attr-defined]
        response.reason = reason  # type: ignore[attr-defined]
        return response

    urllib.request.AbstractHTTPHandler.do_open = do_open  # type: ignore[method-assign]


# -- httpx -----------------------------------------------------------------------------------------
def _patch_httpx(transport: Any, httpx: ModuleType) -> None:
    sleep = transport._sleep

    class SyncStream(httpx.SyncByteStream):  # type: ignore[misc,name-defined]
        def __init__(self, stream: Any, timeout_s: float | None, request: Any) -> None:
            self._stream, self._timeout_s, self._request = stream, timeout_s, request

        def __iter__(self) -> Any:
            while self._stream is not None:
                data = self._stream.read(self._timeout_s)
                if data is None:
                    self.close()
                    raise httpx.ReadTimeout("timed out", request=self._request)
                if not data:
                    self.close()
                    return
                yield data

        def close(self) -> None:
            stream, self._stream = self._stream, None
            if stream is not None:
                stream.close()

    class AsyncStream(httpx.AsyncByteStream):  # type: ignore[misc,name-defined]
        def __init__(self, stream: Any, timeout_s: float | None, request: Any) -> None:
            self._queue: asyncio.Queue[bytes] = asyncio.Queue()
            self._chunks = _AsyncChunks(asyncio.get_running_loop(), stream, self._queue.put_nowait)
            self._timeout_s, self._request = timeout_s, request

        async def __aiter__(self) -> Any:
            while True:
                try:
                    data = await asyncio.wait_for(self._queue.get(), self._timeout_s)
                except asyncio.TimeoutError:
                    self._chunks.close()
                    raise httpx.ReadTimeout("timed out", request=self._request) from None
                if not data:
                    self._chunks.close()
                    return
                yield data

        async def aclose(self) -> None:
            self._chunks.close()

    def parts(request: Any) -> tuple[str, str, dict[str, str], float | None]:
        timeout = (request.extensions.get("timeout") or {}).get("read")
        return str(request.method), str(request.url), dict(request.headers), timeout

    def handle_request(self: Any, request: Any) -> Any:
        method, url, headers, timeout = parts(request)
        body = request.read()
        _start(transport, sleep)
        try:
            reply = _route(transport, method, url, headers, body or None)
        except ConnectionRefused:
            raise httpx.ConnectError(_refused_message(url), request=request) from None
        _finish(transport, sleep)
        if isinstance(reply, StreamReply):
            return httpx.Response(reply.status, headers=_reply_headers(reply),
                                  stream=SyncStream(reply.stream, timeout, request), request=request)
        return httpx.Response(reply.status, headers=_reply_headers(reply), content=reply.body, request=request)

    async def handle_async_request(self: Any, request: Any) -> Any:
        method, url, headers, timeout = parts(request)
        body = await request.aread()
        await _astart(transport)
        try:
            reply = _route(transport, method, url, headers, body or None)
        except ConnectionRefused:
            raise httpx.ConnectError(_refused_message(url), request=request) from None
        await _afinish(transport)
        if isinstance(reply, StreamReply):
            return httpx.Response(reply.status, headers=_reply_headers(reply),
                                  stream=AsyncStream(reply.stream, timeout, request), request=request)
        return httpx.Response(reply.status, headers=_reply_headers(reply), content=reply.body, request=request)

    httpx.HTTPTransport.handle_request = handle_request
    httpx.AsyncHTTPTransport.handle_async_request = handle_async_request


# -- aiohttp ---------------------------------------------------------------------------------------
class _RequestReader:
    """Splits the bytes an HTTP/1.1 client writes into requests (Content-Length or chunked bodies)."""

    def __init__(self) -> None:
        self._buffer = bytearray()

    def feed(self, data: bytes) -> list[tuple[str, str, dict[str, str], bytes]]:
        self._buffer += data
        requests = []
        while True:
            request = self._one()
            if request is None:
                return requests
            requests.append(request)

    def _one(self) -> tuple[str, str, dict[str, str], bytes] | None:
        buffer = self._buffer
        end = buffer.find(b"\r\n\r\n")
        if end < 0:
            return None
        head = bytes(buffer[:end]).decode("latin-1").split("\r\n")
        method, target, _ = head[0].split(" ", 2)
        headers: dict[str, str] = {}
        for line in head[1:]:
            name, _, value = line.partition(":")
            headers[name.strip()] = value.strip()
        lower = {k.lower(): v for k, v in headers.items()}
        start = end + 4
        if lower.get("transfer-encoding", "").lower() == "chunked":
            body = bytearray()
            position = start
            while True:
                line_end = buffer.find(b"\r\n", position)
                if line_end < 0:
                    return None
                size = int(bytes(buffer[position:line_end]).split(b";")[0], 16)
                if len(buffer) < line_end + 2 + size + 2:
                    return None
                body += buffer[line_end + 2:line_end + 2 + size]
                position = line_end + 2 + size + 2
                if size == 0:
                    break
            del buffer[:position]
            return method, target, headers, bytes(body)
        length = int(lower.get("content-length", "0") or 0)
        if len(buffer) < start + length:
            return None
        body_bytes = bytes(buffer[start:start + length])
        del buffer[:start + length]
        return method, target, headers, body_bytes


def _patch_aiohttp(transport: Any, aiohttp: ModuleType) -> None:
    from aiohttp.connector import TCPConnector

    world = transport

    class InProcessTransport(asyncio.Transport):
        """The socket aiohttp would write to; answers each request it reads, in order."""

        def __init__(self, loop: asyncio.AbstractEventLoop, protocol: Any, origin: str) -> None:
            super().__init__()
            self._loop = loop
            self._protocol = protocol
            self._origin = origin
            self._reader = _RequestReader()
            self._queue: list[tuple[str, str, dict[str, str], bytes]] = []
            self._busy = False
            self._closing = False
            self._chunks: _AsyncChunks | None = None

        # what aiohttp calls on a transport
        def write(self, data: bytes) -> None:
            if self._closing:
                return
            self._queue.extend(self._reader.feed(bytes(data)))
            if self._queue and not self._busy:
                self._busy = True
                self._loop.create_task(self._answer_all())

        def writelines(self, lines: Any) -> None:
            self.write(b"".join(lines))

        def is_closing(self) -> bool:
            return self._closing

        def close(self) -> None:
            if self._closing:
                return
            self._closing = True
            if self._chunks is not None:
                self._chunks.close()
            self._loop.call_soon(self._protocol.connection_lost, None)

        def abort(self) -> None:
            self.close()

        def get_extra_info(self, name: str, default: Any = None) -> Any:
            return default

        def can_write_eof(self) -> bool:
            return False

        def get_write_buffer_size(self) -> int:
            return 0

        def set_write_buffer_limits(self, high: Any = None, low: Any = None) -> None:
            pass

        def pause_reading(self) -> None:
            pass

        def resume_reading(self) -> None:
            pass

        def is_reading(self) -> bool:
            return not self._closing

        # answering
        async def _answer_all(self) -> None:
            try:
                while self._queue and not self._closing:
                    await self._answer(*self._queue.pop(0))
            except Exception as exc:  # noqa: BLE001 - the client sees a broken connection
                if not self._closing:
                    self._closing = True
                    self._protocol.connection_lost(exc)
            finally:
                self._busy = False

        async def _answer(self, method: str, target: str, headers: dict[str, str], body: bytes) -> None:
            url = target if "://" in target else self._origin + target
            await _astart(world)
            try:
                reply = _route(world, method, url, headers, body or None)
            except ConnectionRefused:
                raise ConnectionRefusedError(111, _refused_message(url)) from None
            await _afinish(world)
            if self._closing:
                return
            reason = http.client.responses.get(reply.status, "")
            head = [f"HTTP/1.1 {reply.status} {reason}"] + [f"{k}: {v}" for k, v in _reply_headers(reply)]
            if isinstance(reply, StreamReply):
                head.append("Transfer-Encoding: chunked")
                self._protocol.data_received(("\r\n".join(head) + "\r\n\r\n").encode("latin-1"))
                self._chunks = _AsyncChunks(self._loop, reply.stream, self._deliver_chunk)
                return
            head.append(f"Content-Length: {len(reply.body)}")
            self._protocol.data_received(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + reply.body)

        def _deliver_chunk(self, data: bytes) -> None:
            if self._closing:
                return
            if data:
                self._protocol.data_received(b"%x\r\n%s\r\n" % (len(data), data))
            else:
                self._protocol.data_received(b"0\r\n\r\n")
                self._chunks = None

    async def _create_connection(self: Any, req: Any, traces: Any, timeout: Any) -> Any:
        protocol = self._factory()
        origin = str(req.url.origin())
        in_process = InProcessTransport(self._loop, protocol, origin)
        protocol.connection_made(in_process)
        return protocol

    TCPConnector._create_connection = _create_connection
