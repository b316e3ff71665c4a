"""A hand-written stub of the CMI Exchange for client tests: canned golden-sample bodies.

It speaks just enough of the contract (docs/cmi-api.md) to exercise every client method,
records each request, and serves an SSE stream with LF framing and ``: ping`` comments. It is
not a simulator: nothing matches, and the answers do not depend on earlier requests.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

SAMPLES_PATH = Path(__file__).resolve().parents[1] / "data" / "cmi-wire-samples.json"
TOKEN_PREFIX = "Bearer stub-token-"

ORDER_ID = "a42df4b4-3d86-4f3e-904d-7bcad999ad28"
RESTING_ORDERS = [
    {"id": ORDER_ID, "status": "ACTIVE", "product": "TIDE_SPOT", "side": "BUY", "price": 1.0, "volume": 1,
     "filled": 0, "user": "alice", "timestamp": "2026-02-28T14:25:39.048403030Z", "targetUser": None,
     "message": ""},
    {"id": "8728761d-c1d0-44c6-a9b0-8e3a28e1b8a3", "status": "PART_FILLED", "product": "WX_SPOT",
     "side": "SELL", "price": 4500, "volume": 3, "filled": 2, "user": "alice",
     "timestamp": "2026-02-28T14:26:30.547773253Z", "targetUser": None, "message": ""},
]
MARKET_TRADES = [
    {"timestamp": "2026-03-01T02:17:01.000000001Z", "product": "LON_ETF", "buyer": "alice", "seller": "bob",
     "volume": 1, "price": 8940.0},
    {"timestamp": "2026-03-01T02:17:02.000000002Z", "product": "WX_SPOT", "buyer": "carol", "seller": "alice",
     "volume": 4, "price": 4693},
]
STREAM_BOOK = {"productsymbol": "TIDE_SPOT", "tickSize": 1,
               "buyOrders": {"2614": {"marketVolume": 13.0, "userVolume": 0.0},
                             "2618.0": {"marketVolume": 1.0, "userVolume": 1.0},
                             "946.0": {"marketVolume": 1.0, "userVolume": 0.0}},
               "sellOrders": {"3705": {"marketVolume": 20.0, "userVolume": 0.0},
                              "2814.0": {"marketVolume": 1.0, "userVolume": 0.0},
                              "3128.0": {"marketVolume": 3.0, "userVolume": 0.0}}}
STREAM_FILLS = [{"timestamp": "2026-03-01T02:17:03.000000003Z", "product": "TIDE_SPOT", "buyer": "",
                 "seller": "alice", "volume": 2, "price": 3006.0}]


def load_samples() -> dict[str, Any]:
    return json.loads(SAMPLES_PATH.read_text())


def products_body(samples: dict[str, Any]) -> list[dict[str, Any]]:
    spec = samples["products_test_exchange"]
    return [{"symbol": symbol, "tickSize": spec["tickSize"], "startingPrice": spec["startingPrice"],
             "contractSize": spec["contractSize"]} for symbol in spec["order"]]


def rest_book_body(samples: dict[str, Any], symbol: str) -> dict[str, Any]:
    """The first golden TIDE_SPOT book ("20.0 @ 3705" strings), asks re-ordered best (lowest) first."""
    sample = samples["rest_orderbook_TIDE_SPOT_test_exchange"][0]

    def levels(lines: list[str]) -> list[dict[str, Any]]:
        parsed = []
        for line in lines:
            volume, price = line.split(" @ ")
            parsed.append({"price": json.loads(price), "volume": float(volume), "userOrderVolume": 0.0})
        return parsed

    return {"product": symbol, "tickSize": 1, "buy": levels(sample["bids"]),
            "sell": list(reversed(levels(sample["asks"])))}


def sse_event(kind: str, data: Any) -> bytes:
    return f"event: {kind}\ndata: {json.dumps(data)}\n\n".encode()


@dataclass
class RecordedRequest:
    method: str
    path: str  # raw request target, as sent
    headers: dict[str, str]
    body: Any
    received_at: float = field(default_factory=time.monotonic)


@dataclass
class StubState:
    samples: dict[str, Any]
    requests: list[RecordedRequest] = field(default_factory=list)
    stream_connections: int = 0
    hold_stream_open: bool = False  # False: send the events, then end the stream (forces reconnects)
    ping_interval: float = 0.2  # while held open
    closing: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)


class StubHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: "StubExchange"

    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        pass

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    def _handle(self, method: str) -> None:
        state = self.server.state
        length = int(self.headers.get("Content-Length") or 0)
        raw_body = self.rfile.read(length) if length else b""
        body = json.loads(raw_body) if raw_body else None
        with state.lock:
            # The request line, not self.path: http.server collapses a leading "//" in self.path.
            raw_target = self.requestline.split(" ")[1]
            state.requests.append(RecordedRequest(method, raw_target, dict(self.headers), body))
        target = urlsplit(self.path)
        path = "/" + "/".join(part for part in target.path.split("/") if part)
        query = {key: values[0] for key, values in parse_qs(target.query).items()}

        if method == "POST" and path == "/api/user/authenticate":
            if body.get("password") == "wrong":
                return self._send_json(401, {"message": "bad credentials"})
            return self._send_json(200, {}, {"Authorization": TOKEN_PREFIX + body["username"]})
        user = self._user()
        if user is None:
            return self._send_json(401, {"message": "missing or invalid token"})
        if method == "GET" and path == "/api/market/stream":
            return self._stream()
        self._route(method, path, query, body, user)

    def _route(self, method: str, path: str, query: dict[str, str], body: Any, user: str) -> None:
        samples = self.server.state.samples
        if method == "GET" and path == "/api/product":
            return self._send_json(200, products_body(samples))
        if method == "POST" and path == "/api/order":
            if body["product"] == "NOPE":
                return self._send_json(400, {"message": f"unknown product {body['product']}"})
            order = dict(RESTING_ORDERS[0], product=body["product"], side=body["side"], price=body["price"],
                         volume=body["volume"], user=user)
            return self._send_json(200, order)
        if method == "DELETE" and path.startswith("/api/order/"):
            order_id = path.rsplit("/", 1)[1]
            known = [o for o in RESTING_ORDERS if o["id"] == order_id]
            return self._send_json(200, known[0]) if known else self._send_json(404, {"message": "no such order"})
        if method == "GET" and path == "/api/order/current-user":
            symbol = query.get("productsymbol")
            return self._send_json(200, [o for o in RESTING_ORDERS if symbol in (None, o["product"])])
        if method == "GET" and path.startswith("/api/product/") and path.endswith("/order-book/current-user"):
            return self._send_json(200, rest_book_body(samples, path.split("/")[3]))
        if method == "GET" and path == "/api/position/current-user":
            positions = samples["profit_current_user"][0]["positions_same_time"]
            return self._send_json(200, [{"product": p, "netPosition": n, "volume": n} for p, n in positions.items()])
        if method == "GET" and path == "/api/profit/current-user":
            return self._send_json(200, samples["profit_current_user"][0]["json"])
        if method == "GET" and path == "/api/trade":
            since = query.get("from", "")
            return self._send_json(200, [t for t in MARKET_TRADES if t["timestamp"] >= since])
        self._send_json(404, {"message": f"no route for {method} {path}"})

    def _user(self) -> str | None:
        token = self.headers.get("Authorization", "")
        return token[len(TOKEN_PREFIX):] if token.startswith(TOKEN_PREFIX) else None

    def _send_json(self, status: int, body: Any, extra_headers: dict[str, str] | None = None) -> None:
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in (extra_headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    def _stream(self) -> None:
        """Chunked SSE, as a real server sends it: urllib3 yields per chunk, so events arrive at once."""
        state = self.server.state
        with state.lock:
            state.stream_connections += 1
        self.close_connection = True
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        try:
            self._chunk(b": ping\n\n")
            self._chunk(sse_event("order", STREAM_BOOK))
            self._chunk(sse_event("trade", STREAM_FILLS))
            self._chunk(b": ping\n\n")
            while state.hold_stream_open and not state.closing.wait(state.ping_interval):
                self._chunk(b": ping\n\n")
            self._chunk(b"")  # the zero-length chunk ends the response
        except OSError:
            pass  # the client went away: normal for a stream

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()


class StubExchange(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), StubHandler)
        self.state = StubState(samples=load_samples())
        self._thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05}, name="stub-exchange", daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> "StubExchange":
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.state.closing.set()
        self.shutdown()
        self.server_close()
        self._thread.join(timeout=5)

    def requests_to(self, path_prefix: str) -> list[RecordedRequest]:
        with self.state.lock:
            return [r for r in self.state.requests if r.path.startswith(path_prefix)]
