"""The wire between the coordinator and a bot process: length-prefixed messages on a socketpair.

Two message kinds, one per direction, exchanged in strict alternation (a bot reports, the
coordinator grants):

- **report** (bot -> coordinator), JSON, because the coordinator must not trust what a bot process
  sends (its code runs there): ``{"t": now_ns, "n": next_due_ns | null, "q": [request, ...],
  "c": [stream_id, ...]}``; a request is ``[arrival_ns, seq, method, url, [[name, value], ...],
  body_latin1 | null]``; ``c`` lists streams the bot's client closed.
- **grant** (coordinator -> bot), marshal (trusted direction, fast): ``(horizon_ns, frames,
  replies)``; a frame is ``(t_ns, stream_id, chunk)`` (``b""``: the server closed the stream); a
  reply is ``(seq, kind, status, headers, payload)`` with ``kind`` one of :data:`REPLY`,
  :data:`STREAM` (payload = stream id) or :data:`REFUSED`.

All times are absolute virtual epoch nanoseconds.
"""

from __future__ import annotations

import json
import marshal
import os
import struct
from typing import Any

__all__ = ["REFUSED", "REPLY", "STREAM", "MAX_MESSAGE", "ProtocolError", "decode_report", "encode_grant",
           "encode_report", "decode_grant", "read_message", "write_message"]

REPLY, STREAM, REFUSED = 0, 1, 2
MAX_MESSAGE = 64 << 20  # a report larger than this is a broken or hostile bot process
_HEADER = struct.Struct(">I")
_read, _write = os.read, os.write  # captured before any bot code runs in this process


class ProtocolError(Exception):
    """A message that breaks the protocol (the bot process is then treated as failed)."""


def write_message(fd: int, payload: bytes) -> None:
    data = _HEADER.pack(len(payload)) + payload
    view = memoryview(data)
    while view:
        written = _write(fd, view)
        view = view[written:]


def read_exactly(fd: int, size: int) -> bytes | None:
    """``size`` bytes, or None at end of file (the other side is gone)."""
    parts = []
    while size:
        chunk = _read(fd, min(size, 1 << 20))
        if not chunk:
            return None
        parts.append(chunk)
        size -= len(chunk)
    return b"".join(parts) if len(parts) != 1 else parts[0]


def send_message(sock: Any, payload: bytes) -> None:
    """A message to a socket with a timeout set (the coordinator's side)."""
    sock.sendall(_HEADER.pack(len(payload)) + payload)


def receive_message(sock: Any) -> bytes | None:
    """A message from a socket with a timeout set (the coordinator's side: a bot process that sends half
    a message and stops raises ``socket.timeout``, an ``OSError``, instead of hanging the run)."""
    header = _receive_exactly(sock, _HEADER.size)
    if header is None:
        return None
    (size,) = _HEADER.unpack(header)
    if size > MAX_MESSAGE:
        raise ProtocolError(f"message of {size} bytes")
    payload = _receive_exactly(sock, size) if size else b""
    if payload is None:
        raise ProtocolError("the message was cut off")
    return payload


def _receive_exactly(sock: Any, size: int) -> bytes | None:
    parts = []
    while size:
        chunk = sock.recv(min(size, 1 << 20))
        if not chunk:
            return None
        parts.append(chunk)
        size -= len(chunk)
    return b"".join(parts) if len(parts) != 1 else parts[0]


def read_message(fd: int) -> bytes | None:
    header = read_exactly(fd, _HEADER.size)
    if header is None:
        return None
    (size,) = _HEADER.unpack(header)
    if size > MAX_MESSAGE:
        raise ProtocolError(f"message of {size} bytes")
    payload = read_exactly(fd, size) if size else b""
    if payload is None:
        raise ProtocolError("the message was cut off")
    return payload


def encode_report(now_ns: int, next_due_ns: int | None, requests: list, closed: list) -> bytes:
    return json.dumps({"t": now_ns, "n": next_due_ns, "q": requests, "c": closed},
                      separators=(",", ":")).encode()


def decode_report(payload: bytes) -> tuple[int, int | None, list[tuple], list[int]]:
    """A checked report: (now_ns, next_due_ns, requests, closed stream ids)."""
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
