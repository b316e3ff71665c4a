"""The dashboard's routes on the serve app, outside /api: the page, its assets, the stream, a user's own
orders. Mounted by `create_app` before its catch-all route."""

from __future__ import annotations

import asyncio
from pathlib import Path

from fastapi import FastAPI, Request, Response
from fastapi.staticfiles import StaticFiles
from sse_starlette.event import ServerSentEvent
from sse_starlette.sse import EventSourceResponse

from cmi_sim.api.service import ExchangeService, error_reply
from cmi_sim.api.wire import dumps
from cmi_sim.dashboard.hub import DashboardHub
from cmi_sim.dashboard.view import MarketView

STATIC = Path(__file__).with_name("static")
KEEPALIVE_SECONDS = 10.0
SHUTDOWN_POLL_SECONDS = 0.5  # how soon an open stream notices that the server is stopping


def mount_dashboard(app: FastAPI, service: ExchangeService) -> DashboardHub:
    hub = DashboardHub(MarketView(service.exchange, service.clock))
    app.state.dashboard = hub
    app.mount("/dashboard/static", StaticFiles(directory=STATIC), name="dashboard-static")

    @app.get("/", include_in_schema=False)
    async def page() -> Response:
        return Response((STATIC / "index.html").read_bytes(), media_type="text/html; charset=utf-8",
                        headers={"Cache-Control": "no-cache"})

    @app.get("/dashboard/state", include_in_schema=False)
    async def state() -> Response:
        return Response(dumps(hub.view.snapshot()), media_type="application/json")

    @app.get("/dashboard/own", include_in_schema=False)
    async def own(request: Request) -> Response:
        user = service.user_for(request.headers)
        if user is None:
            reply = error_reply(401, "missing or invalid Authorization token: log in at /api/user/authenticate")
            return Response(reply.body, status_code=reply.status, headers=dict(reply.headers))
        return Response(dumps(hub.view.own(user)), media_type="application/json")

    @app.get("/dashboard/stream", include_in_schema=False)
    async def stream() -> Response:
        return EventSourceResponse(_frames(hub, app.state.shutdown), ping=KEEPALIVE_SECONDS, sep="\n",
                                   ping_message_factory=lambda: ServerSentEvent(comment="ping"),
                                   headers={"Cache-Control": "no-cache"})

    return hub


async def _frames(hub: DashboardHub, shutdown: asyncio.Event):
    viewer = hub.open()
    try:
        while not shutdown.is_set():
            chunk = viewer.take()
            if chunk:
                yield chunk
                continue
            if viewer.closed:
                break
            viewer.wake.clear()
            try:
                await asyncio.wait_for(viewer.wake.wait(), SHUTDOWN_POLL_SECONDS)
            except asyncio.TimeoutError:
                pass
    finally:
        hub.close(viewer)
