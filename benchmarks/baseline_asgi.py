"""The baseline server: bare uvicorn + a raw ASGI app with a constant JSON answer (same uvicorn settings
as `cmi-sim serve`). Run: python benchmarks/baseline_asgi.py --port N"""

import sys

import uvicorn

BODY = b'{"message":""}'


async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    more = True
    while more:
        message = await receive()
        more = message.get("more_body", False)
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(BODY)).encode())]})
    await send({"type": "http.response.body", "body": BODY})


if __name__ == "__main__":
    port = int(sys.argv[sys.argv.index("--port") + 1])
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False, proxy_headers=False,
                lifespan="off", ws="none")
