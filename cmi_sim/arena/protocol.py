"""The wire between the coordinator and a bot process: length-prefixed messages on a socketpair.

Two message kinds, one per direction, exchanged in strict alternation (a bot reports, the
coordinator grants):

- **report** (bot -> coordinator). The coordinator must not trust what a bot process sends (its code
  runs there), so reports are JSON or a fixed struct, never marshal or pickle. Most reports say only
  "nothing sent, my next timer is at n": ``b"S"`` + two big-endian int64 (``now_ns``, ``next_due_ns``
  or -1). Any other report is JSON: ``{"t": now_ns, "n": next_due_ns | null, "q": [request, ...],
  "c": [stream_id, ...]}``; a request is ``[arrival_ns, seq, method, url, [[name, value], ...],
  body_latin1 | null]``; ``c`` lists streams the bot's client closed.
- **grant** (coordinator -> bot), marshal (trusted direction, fast): ``(horizon_ns, frames,
  replies)``; a frame is ``(t_ns, stream_id, chunk)`` (``b""``: the server closed the stream); a
  reply is ``(seq, kind, status, headers, payload)`` with ``kind`` one of :data:`REPLY`,
  :data:`STREAM` (payload = stream id) or :data:`REFUSED`.

All times are absolute virtual epoch nanoseconds. Both ends use blocking file descriptors with the
kernel's receive timeout (``SO_RCVTIMEO``) set: a read that times out raises ``BlockingIOError``, on
which :func:`read_message` calls its ``idle`` callback and goes on waiting (the callback may raise).
No selector and no user-space timeout on the hot path: a round costs two system calls per side.
"""

from __future__ import annotations

import json
import marshal
import os
import socket
import struct
from typing import Any, Callable

__all__ = ["REFUSED", "REPLY", "STREAM", "MAX_MESSAGE", "ProtocolError", "decode_report", "encode_grant",
           "encode_report", "decode_grant", "MessageReader", "set_timeouts", "write_message"]

REPLY, STREAM, REFUSED = 0, 1, 2
MAX_MESSAGE = 64 << 20  # a report larger than this is a broken or hostile bot process
_HEADER = struct.Struct(">I")
_SHORT = struct.Struct(">cqq")  # b"S", now_ns, next_due_ns (-1: none)
_TIMEVAL = struct.Struct("@ll")
_CHUNK = 1 << 16  # bytes asked of one read: a typical message and then some
_read, _write = os.read, os.write  # captured before any bot code runs in this process


class ProtocolError(Exception):
    """A message that breaks the protocol (the bot process is then treated as failed)."""


def write_message(fd: int, payload: bytes) -> None:
    """A whole message; ``BlockingIOError`` if the reader stopped reading for the send timeout."""
    data = _HEADER.pack(len(payload)) + payload
    written = _write(fd, data)
    if written == len(data):
        return
    view = memoryview(data)[written:]
    while view:
        view = view[_write(fd, view):]


class MessageReader:
    """Messages from one descriptor. One ``read`` system call usually brings a whole message (header and
    payload); bytes past it are kept for the next message."""

    __slots__ = ("fd", "_buffer")

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self._buffer = b""

    def read(self, idle: Callable[[bool], None] | None = None) -> bytes | None:
        """The next message, or None at end of file (the other side is gone). ``idle(in_message)`` is
        called at every receive timeout; ``in_message`` tells whether part of a message has come."""
        buffer = self._buffer
        while True:
            if len(buffer) >= 4:
                (size,) = _HEADER.unpack_from(buffer)
                if size > MAX_MESSAGE:
                    raise ProtocolError(f"message of {size} bytes")
                end = 4 + size
                if len(buffer) >= end:
                    self._buffer = buffer[end:]
                    return buffer[4:end]
                want = end - len(buffer)
            else:
                want = 4 - len(buffer)
            try:
                chunk = _read(self.fd, max(want, _CHUNK))
            except BlockingIOError:  # the receive timeout passed with nothing (more) to read
                if idle is not None:
                    idle(bool(buffer))
                continue
            if not chunk:
                self._buffer = b""
                if buffer:
                    raise ProtocolError("the message was cut off")
                return None
            buffer = buffer + chunk if buffer else chunk


def set_timeouts(sock: Any, receive_s: float | None = None, send_s: float | None = None) -> None:
    """Kernel timeouts on a blocking socket (inherited by a child process that gets its descriptor)."""
    for option, seconds in ((socket.SO_RCVTIMEO, receive_s), (socket.SO_SNDTIMEO, send_s)):
        if seconds is not None:
            whole = int(seconds)
            sock.setsockopt(socket.SOL_SOCKET, option, _TIMEVAL.pack(whole, int((seconds - whole) * 1e6)))


def encode_report(now_ns: int, next_due_ns: int | None, requests: list, closed: list) -> bytes:
    if not requests and not closed:
        return _SHORT.pack(b"S", now_ns, -1 if next_due_ns is None else next_due_ns)
    return json.dumps({"t": now_ns, "n": next_due_ns, "q": requests, "c": closed},
                      separators=(",", ":")).encode()


def decode_report(payload: bytes) -> tuple[int, int | None, list[tuple], list[int]]:
    """A checked report: (now_ns, next_due_ns, requests, closed stream ids)."""
    if payload[:1] == b"S":
        if len(payload) != _SHORT.size:
            raise ProtocolError(f"bad report: a short report of {len(payload)} bytes")
        _, now_ns, next_due = _SHORT.unpack(payload)
        return now_ns, None if next_due == -1 else next_due, [], []
    try:
        data = json.loads(payload)
        now_ns, next_due = data["t"], data["n"]
        requests, closed = data["q"], data["c"]
        if type(now_ns) is not int or not (next_due is None or type(next_due) is int):
            raise ValueError("bad times")
        if type(requests) is not list or type(closed) is not list:
            raise ValueError("bad lists")
        checked = []
        for item in requests:
            arrival, seq, method, url, headers, body = item
            if type(arrival) is not int or type(seq) is not int or type(method) is not str or type(url) is not str:
                raise ValueError("bad request")
            pairs = {str(name): str(value) for name, value in headers}
            if body is not None and type(body) is not str:
                raise ValueError("bad body")
            checked.append((arrival, seq, method, url, pairs, None if body is None else body.encode("latin-1")))
        if any(type(sid) is not int for sid in closed):
            raise ValueError("bad stream id")
    except (ValueError, KeyError, TypeError, UnicodeError) as error:
        raise ProtocolError(f"bad report: {error}") from None
    return now_ns, next_due, checked, closed


def encode_grant(horizon_ns: int, frames: list, replies: list) -> bytes:
    return marshal.dumps((horizon_ns, frames, replies))


def decode_grant(payload: bytes) -> tuple[int, list, list]:
    return marshal.loads(payload)


def request_item(arrival_ns: int, seq: int, method: str, url: str, headers: Any, body: bytes | None) -> list:
    return [arrival_ns, seq, method, url, [[str(k), str(v)] for k, v in headers.items()],
            None if body is None else body.decode("latin-1")]
