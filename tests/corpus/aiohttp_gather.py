"""aiohttp on its own loop in a daemon thread; both legs of an arbitrage with asyncio.gather; 429 back-off."""
import asyncio
import os
import threading

import aiohttp

URL = os.environ.get("CMI_URL", "http://exchange.cmi-challenge.example")
loop = asyncio.new_event_loop()
threading.Thread(target=loop.run_forever, daemon=True).start()


async def main():
    async with aiohttp.ClientSession() as session:
        async with session.post(URL + "/api/user/authenticate", json={"username": "aio", "password": "pw"}) as r:
            headers = {"Authorization": r.headers["Authorization"]}
        async with session.get(URL + "/api/product", headers=headers) as r:
            products = await r.json()
        a, b = products[0], products[1]

        async def leg(product, side, factor):
            for attempt in range(3):
                async with session.post(URL + "/api/order", headers=headers, json={
                        "product": product["symbol"], "price": round(product["startingPrice"] * factor),
                        "side": side, "volume": 1}) as r:
                    if r.status != 429:
                        return r.status
                await asyncio.sleep(0.5 * 2 ** attempt)
            return 429

        statuses = []
        for _ in range(5):
            statuses += await asyncio.gather(leg(a, "BUY", 1.2), leg(b, "SELL", 0.8))
            await asyncio.sleep(1)
        async with session.get(URL + "/api/market/stream", headers=headers) as r:
            first = await r.content.readline()
        return statuses, first


statuses, first = asyncio.run_coroutine_threadsafe(main(), loop).result()
print("aiohttp statuses", sorted(set(statuses)), "stream", first[:6], flush=True)
