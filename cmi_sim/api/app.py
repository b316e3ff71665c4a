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
from cmi_sim.api.service import ROUTES, STREAM_PATH, ExchangeService, Reply, Route, error_reply

KEEPALIVE_SECONDS = 10.0  # clients time out after 30 s of silence; the contract asks for at most 15


class FrontDoor:
    """The outermost ASGI app, in front of FastAPI (what the server runs).

    Absolute-form targets (HTTP_PROXY) and repeated slashes route like plain paths. REST calls under
    /api/ go straight to `ExchangeService.handle`, the same function the FastAPI routes call, and the
    stream straight to its sse-starlette response: skipping FastAPI's middleware stack and per-request
    dependency machinery makes a request about twice as cheap. FastAPI serves the OpenAPI document,
    the docs and its documented routes (which call the same service).
    """

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self.service: ExchangeService = app.state.service

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = normalize_path(scope["path"])
        if path == STREAM_PATH and scope["method"] == "GET":
            response = market_stream(self.service, Headers(scope=scope), self.app.state.shutdown)
            await response(scope, receive, send)
            return
        if path.startswith("/api/"):
            await self._rest(scope, path, receive, send)
            return
        if path != scope["path"]:
            scope = dict(scope, path=path, raw_path=path.encode())
        await self.app(scope, receive, send)

    async def _rest(self, scope, path: str, receive, send) -> None:
        chunks = []
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        headers = {name.decode("latin-1"): value.decode("latin-1") for name, value in scope["headers"]}
        query = dict(parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True))
        try:
            reply = self.service.handle(scope["method"], path, query, headers, b"".join(chunks))
        except Exception as error:  # a bug, not a client error: still answer in the CMI shape
            reply = error_reply(500, f"internal error: {type(error).__name__}")
        raw_headers = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in reply.headers]
        raw_headers.append((b"content-length", str(len(reply.body)).encode()))
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
    shutdown = asyncio.Event()
    app.state.shutdown = shutdown

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
