"""The live CMI API: a FastAPI app over `ExchangeService`, with the SSE stream on sse-starlette.

Every endpoint is `async def` and never awaits while it touches the exchange, so all state changes run
one at a time on the event loop: concurrent clients see one consistent order of events.
"""

from __future__ import annotations

import asyncio
from urllib.parse import parse_qsl

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.staticfiles import StaticFiles
from sse_starlette.event import ServerSentEvent
from sse_starlette.sse import EventSourceResponse
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException as StarletteHTTPException

from cmi_sim import __version__
from cmi_sim.api import swagger_ui
from cmi_sim.api.paths import normalize_path
from cmi_sim.api.service import (
    JSON_HEADERS,
    ROUTES,
    STREAM_PATH,
    ExchangeService,
    Reply,
    Route,
    TradePages,
    error_reply,
)
from cmi_sim.dashboard import mount_dashboard

KEEPALIVE_SECONDS = 10.0  # clients time out after 30 s of silence; the contract asks for at most 15
SEND_TIMEOUT_SECONDS = 10.0  # a stream write that cannot go out this long: the reader stalled, drop it
MAX_BODY_BYTES = 64 * 1024  # request bodies: an order or a login is well under 1 KB
BODY_TIMEOUT_SECONDS = 10.0  # to receive a whole request body once its headers are in


class FrontDoor:
    """The outermost ASGI app, in front of FastAPI (what the server runs).

    Absolute-form targets (HTTP_PROXY) and repeated slashes route like plain paths. REST calls under
    /api/ go straight to `ExchangeService.handle`, the same function the FastAPI routes call, and the
    stream straight to its sse-starlette response: skipping FastAPI's middleware stack and per-request
    dependency machinery makes a request about twice as cheap. FastAPI serves the OpenAPI document,
    the docs and its documented routes (which call the same service).

    Every request body is bounded in size (413) and in time (408) before anything reads it, and a
    login's password hashing runs in a worker thread, so the loop (the one writer) never waits on it.
    """

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self.service: ExchangeService = app.state.service

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > MAX_BODY_BYTES):
            await _send_reply(send, _too_large() if declared.isdigit() else error_reply(400, "bad Content-Length"),
                              close=True)
            return
        path = normalize_path(scope["path"])
        if path == STREAM_PATH and scope["method"] == "GET":
            response = market_stream(self.service, Headers(scope=scope), self.app.state.shutdown)
            watch = StallWatch(send, SEND_TIMEOUT_SECONDS, self.app.state.stream_watches)
            try:
                await response(scope, receive, watch)
            except asyncio.CancelledError:
                if not watch.stalled:
                    raise
                asyncio.current_task().uncancel()
                await watch.drop_connection()
            finally:
                watch.stop()
            return
        if path.startswith("/api/"):
            await self._rest(scope, path, receive, send)
            return
        if path != scope["path"]:
            scope = dict(scope, path=path, raw_path=path.encode())
        body = await _read_body(receive, send)
        if body is None:
            return
        await self.app(scope, _replay(body, receive), send)

    async def _rest(self, scope, path: str, receive, send) -> None:
        body = await _read_body(receive, send)
        if body is None:
            return
        headers = {name.decode("latin-1"): value.decode("latin-1") for name, value in scope["headers"]}
        query = dict(parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True))
        service = self.service
        try:
            early = service.prepare(scope["method"], path, query, headers, body)
            if early is None:
                reply = service.handle(scope["method"], path, query, headers, body)
            elif isinstance(early, Reply):
                reply = early
            elif isinstance(early, TradePages):
                await _send_pages(send, early)
                return
            else:  # a login: the password hashing runs in a worker thread
                reply = service.finish_login(await asyncio.to_thread(early.verify))
        except Exception as error:  # a bug, not a client error: still answer in the CMI shape
            reply = error_reply(500, f"internal error: {type(error).__name__}")
        service.exchange.journal.flush()  # a journal has the request's events before it is acknowledged
        await _send_reply(send, reply)


async def _read_body(receive, send) -> bytes | None:
    """The whole request body, or None after answering 413 (too large) or 408 (too slow), or when the
    client went away."""
    chunks, size = [], 0
    more = True
    try:
        async with asyncio.timeout(BODY_TIMEOUT_SECONDS):
            while more:
                message = await receive()
                if message["type"] == "http.disconnect":
                    return None
                chunk = message.get("body", b"")
                size += len(chunk)
                if size > MAX_BODY_BYTES:
                    await _send_reply(send, _too_large(), close=True)
                    return None
                chunks.append(chunk)
                more = message.get("more_body", False)
    except TimeoutError:
        await _send_reply(send, error_reply(408, f"request body not received within {BODY_TIMEOUT_SECONDS:g} s"),
                          close=True)
        return None
    return b"".join(chunks)


def _replay(body: bytes, receive):
    """A `receive` that gives the already read body, then what the connection says (a disconnect)."""
    sent = False

    async def replayed():
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed


class StallWatch:
    """`send` for a stream, watched: when one message has not gone out after `seconds` (the reader
    stopped reading and the socket is full), the stream's task is cancelled. One timer per stream,
    checked every `seconds / 2`: a timeout around each send cost about a millisecond of latency per
    frame."""

    def __init__(self, send, seconds: float, registry: set) -> None:
        self._send = send
        self._registry = registry  # the server's open streams: shutdown drops those stuck in a send
        registry.add(self)
        self._seconds = seconds
        self._loop = asyncio.get_running_loop()
        self._task = asyncio.current_task()
        self._since: float | None = None
        self.stalled = False
        self._timer = self._loop.call_later(seconds / 2, self._check)

    async def __call__(self, message) -> None:
        self._since = self._loop.time()
        await self._send(message)
        self._since = None

    def _check(self) -> None:
        since = self._since
        if since is not None and self._loop.time() - since >= self._seconds:
            self.give_up()
            return
        self._timer = self._loop.call_later(self._seconds / 2, self._check)

    def give_up(self, only_if_sending: bool = False) -> None:
        """Cancel the stream (at shutdown: only if it is stuck in a send, else it ends by itself)."""
        if not (only_if_sending and self._since is None) and not self.stalled:
            self.stalled = True
            self._task.cancel()

    def stop(self) -> None:
        self._timer.cancel()
        self._registry.discard(self)

    async def drop_connection(self) -> None:
        """Close a stalled reader's connection, discarding what is queued for it (uvicorn's transport,
        reached through its `send`; without one the server closes it when the app returns)."""
        transport = getattr(getattr(self._send, "__self__", None), "transport", None)
        if transport is not None:
            transport.abort()
            await asyncio.sleep(0)  # the server hears of the lost connection before the app returns


async def _send_pages(send, pages: TradePages) -> None:
    """A long body piece by piece (chunked), letting other requests run between the pieces."""
    headers = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in JSON_HEADERS]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    for chunk in pages.chunks:
        await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await asyncio.sleep(0)
    await send({"type": "http.response.body", "body": b"", "more_body": False})


def _too_large() -> Reply:
    return error_reply(413, f"request body too large (at most {MAX_BODY_BYTES} bytes)")


async def _send_reply(send, reply: Reply, close: bool = False) -> None:
    raw_headers = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in reply.headers]
    raw_headers.append((b"content-length", str(len(reply.body)).encode()))
    if close:  # the rest of the body is not read: the connection cannot carry another request
        raw_headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": reply.status, "headers": raw_headers})
    await send({"type": "http.response.body", "body": reply.body})


def market_stream(service: ExchangeService, headers, shutdown: asyncio.Event) -> Response:
    """`GET /api/market/stream`: the caller's SSE subscription, or a 401.

    Frames are rendered by the stream hub as the exchange changes; a wake-up sends everything queued
    since the last one in a single write.
    """
    opened = service.open_stream(headers)
    if isinstance(opened, Reply):
        return _response(opened)
    subscription = opened
    wake = asyncio.Event()
    subscription.waker = wake.set

    async def frames():
        try:
            while not shutdown.is_set():
                chunk = subscription.take()
                if chunk:
                    yield chunk
                    continue
                if subscription.closed:
                    break
                wake.clear()
                await wake.wait()
        finally:
            service.close_stream(subscription)

    return EventSourceResponse(frames(), ping=KEEPALIVE_SECONDS, sep="\n",
                               ping_message_factory=lambda: ServerSentEvent(comment="ping"),
                               headers={"Cache-Control": "no-cache"})


def _response(reply: Reply) -> Response:
    return Response(reply.body, status_code=reply.status, headers=dict(reply.headers))


def _openapi_extra(route: Route) -> dict:
    params = [{"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
              for name in route.pattern.groupindex]
    params += [{"name": name, "in": "query", "required": False, "schema": {"type": "string"}} for name in route.query]
    if route.auth:
        params.append({"name": "Authorization", "in": "header", "required": False, "schema": {"type": "string"}})
    extra: dict = {"parameters": params} if params else {}
    if route.body is not None:
        extra["requestBody"] = {"required": True, "content": {"application/json": {"schema": route.body}}}
    return extra


def create_app(service: ExchangeService) -> FastAPI:
    app = FastAPI(title="cmi-sim: CMI Exchange API", version=__version__, docs_url=None, redoc_url=None)
    app.state.service = service
    service.require_json_content_type = True  # over HTTP, where a cross-site form could post
    shutdown = asyncio.Event()
    app.state.shutdown = shutdown
    app.state.stream_watches = set()

    async def rest(request: Request) -> Response:
        body = await request.body()
        return _response(service.handle(request.method, request.url.path, request.query_params,
                                        request.headers, body))

    for route in ROUTES:
        app.add_api_route(route.path, rest, methods=[route.method], summary=route.summary,
                          openapi_extra=_openapi_extra(route), name=route.handler)

    app.mount("/docs-static", StaticFiles(directory=swagger_ui.DIRECTORY), name="docs-static")

    @app.get("/docs", include_in_schema=False)
    async def docs() -> Response:
        # Served from the vendored Swagger UI 5 (it reads OpenAPI 3.1): the docs work offline, with no CDN.
        return get_swagger_ui_html(openapi_url=app.openapi_url, title=app.title,
                                   swagger_js_url="/docs-static/swagger-ui-bundle.js",
                                   swagger_css_url="/docs-static/swagger-ui.css",
                                   swagger_favicon_url="/docs-static/favicon-32x32.png")

    mount_dashboard(app, service)  # `/` and /dashboard/: before the catch-all below

    @app.api_route("/{rest_of_path:path}", methods=["GET", "POST", "PUT", "DELETE", "PATCH"],
                   include_in_schema=False)
    async def fallback(request: Request) -> Response:
        # Unknown paths and methods still answer in the CMI error shape.
        return _response(service.handle(request.method, request.url.path, request.query_params,
                                        request.headers, await request.body()))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> Response:
        return _response(error_reply(error.status_code, str(error.detail)))

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, error: RequestValidationError) -> Response:
        return _response(error_reply(400, f"invalid request: {error.errors()}"))

    @app.exception_handler(Exception)
    async def unexpected(request: Request, error: Exception) -> Response:
        return _response(error_reply(500, f"internal error: {type(error).__name__}"))

    return app
