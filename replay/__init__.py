"""Recordings of CMI sessions: the format, the writer, the reader, the recorder and the replay market.

    from replay import read_recording
    rec = read_recording("recordings/2026-02-28")
    rec.books    # one row per SSE `order` event: recv_ns, ts, product, bids, asks
    rec.trades   # the exchange tape: ts, timestamp, product, buyer, seller, volume, price, recv_ns

See `replay.format` for the files and their fields.
"""

from replay.format import FORMAT_VERSION, RecordingError
from replay.reader import Recording, read_recording
from replay.writer import RecordingWriter

__all__ = ["FORMAT_VERSION", "Recording", "RecordingError", "RecordingWriter", "read_recording"]
