"""aiohttp, httpx (sync and async) and urllib.request against the toy world: REST, the stream, refusals."""
import asyncio
import json
import threading
import time
import urllib.error
import urllib.request

import aiohttp
import httpx

BASE = "http://exchange.test"
t0 = time.time()


def say(*parts):
    print(f"{time.time() - t0:7.3f}", *parts, flush=True)


async def with_aiohttp():
    async with aiohttp.ClientSession(headers={"Authorization": "tok"}) as session:
        async with session.post(BASE + "/api/echo", json={"side": "BUY"}, params={"q": "1"}) as resp:
            say("aiohttp post", resp.status, (await resp.json())["body"])
        legs = await asyncio.gather(*(session.get(BASE + "/api/product") for _ in range(3)))
        say("aiohttp gather", [r.status for r in legs], len(await legs[0].json()))
        resp = await session.get(BASE + "/api/fail")
        try:
            resp.raise_for_status()
        except aiohttp.ClientResponseError as exc:
            say("aiohttp 503", exc.status)
        async with session.get(BASE + "/api/market/stream") as resp:
            n = 0
            async for line in resp.content:
                if line.startswith(b"data:"):
                    say("aiohttp event", json.loads(line[5:])["tick"])
                    n += 1
                    if n == 2:
                        break
        try:
            await session.get("https://api.example.org/x")
        except aiohttp.ClientError as exc:
            say("aiohttp refused", type(exc).__name__, "network is disabled" in str(exc))


async def with_httpx_async():
    async with httpx.AsyncClient(base_url=BASE, headers={"Authorization": "tok"}) as client:
        r = await client.post("/api/echo", json={"x": 1})
        say("httpx async post", r.status_code, r.json()["auth"])
        async with client.stream("GET", "/api/market/stream", timeout=httpx.Timeout(5.0)) as resp:
            async for line in resp.aiter_lines():
                if line.startswith("data:"):
                    say("httpx async event", json.loads(line[5:])["tick"])
                    break
        try:
            await client.get("https://api.example.org/x")
        except httpx.ConnectError as exc:
            say("httpx async refused", str(exc))


def with_httpx_sync():
    with httpx.Client(headers={"Authorization": "tok"}) as client:
        r = client.get(BASE + "/api/echo", params={"a": "b"})
        say("httpx sync get", r.status_code, r.json()["query"])
        with client.stream("GET", BASE + "/api/market/stream") as resp:
            for line in resp.iter_lines():
                if line.startswith("data:"):
                    say("httpx sync event", json.loads(line[5:])["tick"])
                    break


def with_urllib():
    req = urllib.request.Request(BASE + "/api/echo", data=b'{"u": 1}', headers={"Authorization": "tok"}, method="POST")
    with urllib.request.urlopen(req, timeout=5) as resp:
        say("urllib post", resp.status, json.loads(resp.read())["body"])
    try:
        urllib.request.urlopen(BASE + "/api/fail")
    except urllib.error.HTTPError as exc:
        say("urllib 503", exc.code)
    with urllib.request.urlopen(BASE + "/api/market/stream", timeout=30) as resp:
        for raw in resp:
            if raw.startswith(b"data:"):
                say("urllib event", json.loads(raw[5:])["tick"])
                break


loop = asyncio.new_event_loop()
threading.Thread(target=loop.run_forever, daemon=True, name="aio").start()
asyncio.run_coroutine_threadsafe(with_aiohttp(), loop).result()
asyncio.run(with_httpx_async())
with_httpx_sync()
with_urllib()
say("done")
