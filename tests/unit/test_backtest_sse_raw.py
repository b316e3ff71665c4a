"""The urllib3 stand-in behind a streaming response: pieces, early stops, timeouts and closing."""

from __future__ import annotations

import pytest
from urllib3.exceptions import ReadTimeoutError

from cmi_sim.sandbox.sse_raw import BodyRaw, StreamRaw


class ScriptedStream:
    """A server side that hands out the given chunks, then ends (b"") or times out (None)."""

    def __init__(self, *chunks: bytes | None) -> None:
        self.chunks = list(chunks)
        self.closed = False

    def read(self, timeout_s: float | None) -> bytes | None:
        return self.chunks.pop(0) if self.chunks else b""

    def close(self) -> None:
        self.closed = True


def stream_raw(*chunks: bytes | None) -> tuple[StreamRaw, ScriptedStream]:
    server = ScriptedStream(*chunks)
    return StreamRaw(server, 30.0, 200, "OK", {}, "http://exchange/api/market/stream"), server


FRAME = b"event: order\ndata: " + b"x" * 300 + b"\n\n"


def test_stream_hands_out_pieces_of_at_most_amt_bytes_in_order():
    raw, server = stream_raw(FRAME, b": ping\n\n", FRAME)
    pieces = list(raw.stream(128))
    assert all(0 < len(piece) <= 128 for piece in pieces)
    assert b"".join(pieces) == FRAME + b": ping\n\n" + FRAME
    # a short chunk is never padded from the next one: urllib3 yields each chunk as it arrives
    assert b": ping\n\n" in pieces
    assert server.closed


def test_a_consumer_that_stops_mid_chunk_leaves_the_rest_for_the_next_read():
    raw, _ = stream_raw(FRAME, b"tail")
    pieces = raw.stream(128)
    first = next(pieces)
    pieces.close()  # the consumer stops after one piece
    assert first == FRAME[:128]
    assert raw.read(len(FRAME) - 128) == FRAME[128:]
    assert raw.read() == b"tail"


def test_read1_returns_what_is_there_and_never_more_than_asked():
    raw, _ = stream_raw(FRAME)
    assert raw.read1(10) == FRAME[:10]
    assert raw.read1() == FRAME[10:]
    assert raw.read1() == b""


def test_a_read_timeout_closes_the_server_side_and_raises_as_urllib3_does():
    raw, server = stream_raw(None)
    with pytest.raises(ReadTimeoutError):
        list(raw.stream(128))
    assert server.closed and raw.isclosed()


def test_a_body_is_read_in_pieces_and_to_the_end():
    raw = BodyRaw(b"0123456789", 200, "OK", {}, "http://exchange/api/product")
    assert list(raw.stream(4)) == [b"0123", b"4567", b"89"]
    raw = BodyRaw(b"0123456789", 200, "OK", {}, "http://exchange/api/product")
    assert raw.read(3) == b"012" and raw.read() == b"3456789"
