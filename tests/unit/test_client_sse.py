"""cmi-sim's own SSE parser against both SSE libraries on the same bytes.

sseclient-py is installed in the test environment; sseclient 0.0.27 is loaded from its vendored sdist
under another module name (both call their module ``sseclient``), so both run in this process.
"""

from __future__ import annotations

import importlib.util
import sys
import tarfile
from pathlib import Path

import pytest
import sseclient as sseclient_py
from hypothesis import given, settings
from hypothesis import strategies as st

from cmi_sim.client.sse import Event, iter_events

VENDOR = Path(__file__).resolve().parents[1] / "vendor" / "sseclient-0.0.27.tar.gz"

# What the exchange sends (cmi_sim.api.streams), plus the shapes the SSE grammar allows.
EXCHANGE_BYTES = (
    b": connected\n\n"
    b"event: order\ndata: {\"productsymbol\": \"TIDE_SPOT\", \"buyOrders\": {\"3000\": {\"marketVolume\": 2.0}}}\n\n"
    b": ping\n\n"
    b"event: trade\ndata: [{\"price\": 3006.0, \"volume\": 4.0, \"buyer\": \"\", \"seller\": \"bot\"}]\n\n"
)
GRAMMAR_BYTES = (
    b"id: 7\nevent: order\ndata: first line\ndata: second line\n\n"
    b"data:no space\r\n\r\n"
    b"retry: 2500\ndata: with retry\r\rdata:  two spaces\n\n"
    b": comment only\n\n"
    b"event: fill\ndata: {\"a\": \"\xc3\xa9\"}\n\n"
)


def _load_legacy():
    with tarfile.open(VENDOR) as sdist:
        source = sdist.extractfile("sseclient-0.0.27/sseclient.py").read()  # type: ignore[union-attr]
    spec = importlib.util.spec_from_loader("sseclient_0_0_27", loader=None)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    exec(compile(source, "sseclient_0_0_27.py", "exec"), module.__dict__)
    return module


LEGACY = _load_legacy()


def _chunks(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts} | {0, len(data)})
    return [data[a:b] for a, b in zip(points, points[1:]) if b > a]


def _ours(chunks: list[bytes]) -> list[tuple[str, str, str | None]]:
    return [(e.event, e.data, e.id) for e in iter_events(chunks)]


def _sseclient_py(chunks: list[bytes]) -> list[tuple[str, str, str | None]]:
    return [(e.event, e.data, e.id) for e in sseclient_py.SSEClient(iter(chunks)).events()]


class _LegacyResponse:
    """What 0.0.27 reads: ``raw.read(n)`` pieces, then the end (after which it would reconnect)."""

    encoding = "utf-8"

    def __init__(self, chunks: list[bytes]) -> None:
        self.raw = self
        self._chunks = list(chunks)

    def read(self, n: int) -> bytes:
        return self._chunks.pop(0) if self._chunks else b""

    def raise_for_status(self) -> None:
        pass


class _LegacySession:
    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks = chunks

    def get(self, url: str, **kwargs: object) -> _LegacyResponse:
        return _LegacyResponse(self.chunks)


def _legacy(chunks: list[bytes], n_events: int) -> list[tuple[str, str, str | None]]:
    """0.0.27 yields every block (comments too, with empty data); keep those with data, like the others."""
    client = LEGACY.SSEClient("http://x/stream", session=_LegacySession(chunks), retry=0)
    out = []
    while len(out) < n_events:
        msg = next(client)
        if msg.data:
            out.append((msg.event, msg.data, msg.id))
    return out


@pytest.mark.parametrize("data", [EXCHANGE_BYTES, GRAMMAR_BYTES], ids=["exchange", "grammar"])
def test_all_three_parsers_agree_on_whole_chunks(data: bytes) -> None:
    ours = _ours([data])
    assert ours == _sseclient_py([data])
    assert ours == _legacy([data], len(ours))


def test_the_fields_come_out_as_the_libraries_give_them() -> None:
    events = list(iter_events([GRAMMAR_BYTES]))
    assert events[0] == Event("order", "first line\nsecond line", "7", None)
    assert events[1] == Event("message", "no space")
    assert events[2] == Event("message", "with retry", None, 2500)
    assert events[3].data == " two spaces"
    assert events[4] == Event("fill", '{"a": "\u00e9"}')
    assert len(events) == 5  # the comment-only block is not an event


@settings(max_examples=200, deadline=None)
@given(cuts=st.lists(st.integers(min_value=0, max_value=10_000), max_size=40))
def test_any_chunking_gives_the_same_events(cuts: list[int]) -> None:
    # Chunks may split a line, a CRLF pair or a multi-byte character; sseclient-py (which splits each
    # chunk on its own) agrees with us on LF-only streams, 0.0.27 (which buffers text) on all of them.
    data = EXCHANGE_BYTES + GRAMMAR_BYTES
    expected = _ours([data])
    chunks = _chunks(data, cuts)
    assert _ours(chunks) == expected
    assert _legacy(chunks, len(expected)) == expected
    lf_only = EXCHANGE_BYTES * 2
    assert _ours(_chunks(lf_only, cuts)) == _sseclient_py(_chunks(lf_only, cuts)) == _ours([lf_only])


def test_an_event_cut_off_by_the_end_of_the_stream_is_dropped() -> None:
    assert list(iter_events([b"data: complete\n\ndata: half"])) == [Event("message", "complete")]


def test_cmi_sim_has_no_runtime_dependency_on_an_sse_library() -> None:
    for module in ("cmi_sim.client.stream", "replay.recorder"):
        importlib.import_module(module)
    source = "".join(
        p.read_text() for p in Path(__file__).resolve().parents[2].joinpath("cmi_sim").rglob("*.py")
    ) + Path(__file__).resolve().parents[2].joinpath("replay", "recorder.py").read_text()
    assert "import sseclient" not in source
    pyproject = Path(__file__).resolve().parents[2].joinpath("pyproject.toml").read_text()
    runtime = pyproject.split("dependencies = [", 1)[1].split("]", 1)[0]
    assert "sseclient" not in runtime
    assert "sseclient" not in sys.modules or sys.modules["sseclient"] is sseclient_py
