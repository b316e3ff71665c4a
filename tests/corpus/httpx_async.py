"""httpx.AsyncClient with asyncio.run in the main thread: REST, a task per order, the stream."""
import asyncio
import os

import httpx

URL = os.environ.get("CMI_URL", "http://exchange.cmi-challenge.example")


async def main():
    async with httpx.AsyncClient(base_url=URL, timeout=10) as client:
        r = await client.post("/api/user/authenticate", json={"username": "hx", "password": "pw"})
        client.headers["Authorization"] = r.headers["Authorization"]
        product = (await client.get("/api/product")).json()[0]
        ok = 0
        for _ in range(5):
            tasks = [asyncio.create_task(client.post("/api/order", json={
                "product": product["symbol"], "price": round(product["startingPrice"] * f), "side": s, "volume": 1}))
                for s, f in (("BUY", 1.2), ("SELL", 0.8))]
            ok += sum(t.is_success for t in await asyncio.gather(*tasks))
            await asyncio.sleep(1)
        async with client.stream("GET", "/api/market/stream") as resp:
            async for line in resp.aiter_lines():
                if line.startswith("event:") or line.startswith(":"):
                    break
        print("httpx placed", ok, "stream ok", resp.status_code == 200, flush=True)


asyncio.run(main())
