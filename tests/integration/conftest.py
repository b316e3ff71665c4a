from __future__ import annotations

import pytest
from live_exchange import LiveExchange, start_live_exchange


@pytest.fixture
def live() -> LiveExchange:
    """A fresh exchange served by uvicorn on 127.0.0.1 (rate rule off, so tests may be quick)."""
    running = start_live_exchange()
    yield running
    running.server.stop()
