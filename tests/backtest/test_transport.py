"""The in-process transport looks to requests exactly like a real HTTP server (differential test).

The same probe script runs twice: once in a backtest against the toy world through the
transport, once as a plain process over real sockets against a real HTTP server that answers
with the same toy router. Every field requests exposes must match.
"""

from __future__ import annotations

import http.server
import subprocess
import sys
import threading
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Iterator

import pytest

from cmi_sim.sandbox.parent import child_env
from cmi_sim.sandbox.environment import Reply

from .toy_world import ToyWorld

BOTS = Path(__file__).resolve().parent / "bots"


def _handler(world: ToyWorld) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            reply = world.route(self.command, "http://exchange.test" + self.path, self.headers, body)
            assert isinstance(reply, Reply)
            self.send_response(reply.status)
            for key, value in reply.headers:
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            self.wfile.write(reply.body)

        do_GET = do_POST = do_PUT = do_DELETE = _serve

        def log_message(self, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture
def real_server() -> Iterator[str]:
    ctx = SimpleNamespace(config={}, now_ns=lambda: 0)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler(ToyWorld(ctx)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_transport_matches_a_real_server_field_by_field(run_bot, real_server: str) -> None:
    real = subprocess.run(
        [sys.executable, str(BOTS / "probe.py"), real_server],
        env=child_env(), capture_output=True, text=True, timeout=60,
    )
    assert real.returncode == 0, real.stderr
    simulated = run_bot("probe.py", argv=("http://exchange.test",), duration_s=60)
    assert simulated["status"] == "ok", simulated.stderr
    real_lines, sim_lines = real.stdout.splitlines(), simulated.lines()
    assert len(real_lines) == len(sim_lines) == 12
    for real_line, sim_line in zip(real_lines, sim_lines):
        assert sim_line == real_line
