"""The one reply type: field order, header pairs, and a loud error for the old (status, headers, body) order."""

from __future__ import annotations

import pytest

from cmi_sim.sandbox.reply import JSON_HEADERS, Reply
from cmi_sim.api.service import Reply as ServiceReply
from cmi_sim.sandbox.environment import Reply as RouterReply
from cmi_sim.sandbox.environment import StreamReply


def test_the_api_and_the_backtest_router_share_one_reply_type() -> None:
    assert ServiceReply is Reply and RouterReply is Reply


def test_fields_defaults_and_header_pairs() -> None:
    reply = Reply(200, b"{}")
    assert (reply.status, reply.body, reply.headers) == (200, b"{}", JSON_HEADERS)
    status, body, headers = Reply(404, b"x", {"Content-Type": "text/plain", "X-A": "1"})
    assert (status, body, headers) == (404, b"x", (("Content-Type", "text/plain"), ("X-A", "1")))
    assert Reply(200, bytearray(b"ab")).body == b"ab"
    assert Reply(200, b"", {"X-Thing": "v"}).header("x-thing") == "v"
    assert StreamReply(200, {"Content-Type": "text/event-stream"}, stream=None).headers == (  # type: ignore[arg-type]
        ("Content-Type", "text/event-stream"),)


def test_the_old_field_order_fails_loudly() -> None:
    with pytest.raises(TypeError, match="body must be bytes"):
        Reply(200, {"Content-Type": "application/json"}, b"{}")  # type: ignore[arg-type]
