"""Stand-ins for urllib3's ``HTTPResponse`` behind ``requests.Response.raw``.

:class:`StreamRaw` wraps the server side of an open stream (a :class:`ByteStream`). Like urllib3
reading a chunked body, ``stream(amt)`` yields each chunk as soon as it arrives (at most ``amt``
bytes; it never waits to fill ``amt``), and ends at ``b""`` once the server closed the stream. A read
that waits longer than the request's read timeout (in virtual time) closes the server side and
raises ``urllib3.exceptions.ReadTimeoutError``, which ``iter_content`` turns into
``requests.exceptions.ConnectionError``, as with a real server.

``raw._fp.fp.read1(n)`` exists because ``sseclient`` 0.0.27 reads through it when present (the
socket file of a real response); a timeout there raises ``TimeoutError`` as a socket does.
"""

from __future__ import annotations

from typing import Any, Iterator

from urllib3.exceptions import ReadTimeoutError

from cmi_sim.sandbox.environment import ByteStream

__all__ = ["BodyRaw", "StreamRaw"]


class _RawBase:
    """The urllib3 ``HTTPResponse`` surface that requests and SSE clients touch."""

    version = 11
    decode_content = True
    chunked = False

    def __init__(self, status: int, reason: str, headers: Any, url: str) -> None:
        self.status = status
        self.reason = reason
        self.headers = headers
        self.url = url
        self.closed = False

    def _next_chunk(self) -> bytes:
        raise NotImplementedError

    def stream(self, amt: int | None = 2**16, decode_content: bool | None = None) -> Iterator[bytes]:
        # The hot loop of every SSE client: a chunk longer than `amt` is handed out in `amt`-sized
        # pieces straight from this generator; what a consumer that stops early leaves unread goes back.
        while True:
            chunk = self._next_chunk()
            if not chunk:
                return
            if not amt or len(chunk) <= amt:
                yield chunk
                continue
            end = len(chunk)
            start = 0
            try:
                while start < end:
                    piece = chunk[start:start + amt]
                    start += amt
                    yield piece
            finally:
                if start < end:
                    self._unread(chunk[start:])

    def _take(self, amt: int | None) -> bytes:
        chunk = self._next_chunk()
        if chunk and amt and len(chunk) > amt:
            self._unread(chunk[amt:])
            chunk = chunk[:amt]
        return chunk

    def read(self, amt: int | None = None, decode_content: bool | None = None, cache_content: bool = False) -> bytes:
        """Like urllib3: with ``amt``, wait for ``amt`` bytes or the end; without, read to the end."""
        parts: list[bytes] = []
        size = 0
        while amt is None or size < amt:
            chunk = self._next_chunk()
            if not chunk:
                break
            parts.append(chunk)
            size += len(chunk)
        data = b"".join(parts)
        if amt is not None and len(data) > amt:
            self._unread(data[amt:])
            data = data[:amt]
        return data

    def read1(self, amt: int = -1) -> bytes:
        """A short read: whatever is available now, waiting only if nothing is."""
        return self._take(amt if amt and amt > 0 else None)

    def _unread(self, data: bytes) -> None:
        raise NotImplementedError

    def release_conn(self) -> None:
        """There is no connection pool to give the connection back to."""

    def isclosed(self) -> bool:
        return self.closed

    def readable(self) -> bool:
        return True

    def get_redirect_location(self) -> bool:
        return False

    def __iter__(self) -> Iterator[bytes]:
        return self.stream()


class BodyRaw(_RawBase):
    """A complete body held in memory."""

    def __init__(self, body: bytes, status: int, reason: str, headers: Any, url: str) -> None:
        super().__init__(status, reason, headers, url)
        self._body = body

    def _next_chunk(self) -> bytes:
        body, self._body = self._body, b""
        return body

    def _unread(self, data: bytes) -> None:
        self._body = data + self._body

    def close(self) -> None:
        self.closed = True
        self._body = b""


class _SocketFile:
    """``raw._fp.fp``: what sseclient 0.0.27 reads short chunks from."""

    def __init__(self, raw: StreamRaw) -> None:
        self._raw = raw

    def read1(self, amt: int = -1) -> bytes:
        try:
            return self._raw.read1(amt)
        except ReadTimeoutError:
            raise TimeoutError("timed out") from None


class _HTTPLibResponse:
    def __init__(self, raw: StreamRaw) -> None:
        self.fp = _SocketFile(raw)


class StreamRaw(_RawBase):
    """The client side of one open stream; closes the server side when it goes away."""

    chunked = True

    def __init__(
        self,
        stream: ByteStream,
        read_timeout_s: float | None,
        status: int,
        reason: str,
        headers: Any,
        url: str,
    ) -> None:
        super().__init__(status, reason, headers, url)
        self._stream: ByteStream | None = stream
        self._read_timeout_s = read_timeout_s
        self._pending = b""
        self._eof = False
        self._fp = _HTTPLibResponse(self)

    def _next_chunk(self) -> bytes:
        if self._pending:
            data, self._pending = self._pending, b""
            return data
        if self._eof or self._stream is None:
            return b""
        data = self._stream.read(self._read_timeout_s)
        if data is None:
            self.close()
            raise ReadTimeoutError(None, self.url, f"Read timed out. (read timeout={self._read_timeout_s})")  # type: ignore[arg-type]
        if not data:
            self.close()  # the server ended the stream: release its side too
        return data

    def _unread(self, data: bytes) -> None:
        self._pending = data + self._pending

    def close(self) -> None:
        self.closed = True
        self._eof = True
        stream, self._stream = self._stream, None
        if stream is not None:
            stream.close()

    def __del__(self) -> None:
        # A bot that drops an open response without closing it must not leave a subscription
        # buffering on the server (refcounting makes this deterministic).
        try:
            self.close()
        except Exception:  # noqa: BLE001 - never raise from a finaliser
            pass
