"""An asyncio bot that never ends by itself: the end of the session interrupts it like Ctrl-C."""
import asyncio
import threading
import time


async def ticker(name, every):
    n = 0
    try:
        while True:
            await asyncio.sleep(every)
            n += 1
    except asyncio.CancelledError:
        print(name, "cancelled after", n, "ticks at", time.time(), flush=True)
        raise


side = asyncio.new_event_loop()
threading.Thread(target=side.run_forever, daemon=True).start()
asyncio.run_coroutine_threadsafe(ticker("side", 2.0), side)
try:
    asyncio.run(ticker("main", 1.0))
except KeyboardInterrupt:
    print("main interrupted at", time.time(), flush=True)
