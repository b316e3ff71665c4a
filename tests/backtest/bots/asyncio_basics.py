"""asyncio in virtual time: sleep, gather, wait_for timeouts, tasks, timeout(), a loop in a daemon thread."""
import asyncio
import threading
import time

t0 = time.time()


def stamp(label):
    print(f"{label} {time.time() - t0:.3f}", flush=True)


async def leg(name, delay):
    await asyncio.sleep(delay)
    return name


async def main():
    stamp("start")
    print("gather", await asyncio.gather(leg("a", 2.5), leg("b", 1.0)), flush=True)
    stamp("after-gather")
    try:
        await asyncio.wait_for(asyncio.sleep(10), timeout=3)
    except asyncio.TimeoutError:
        stamp("wait_for-timeout")
    try:
        async with asyncio.timeout(1.5):
            await asyncio.sleep(5)
    except TimeoutError:
        stamp("timeout-cm")
    task = asyncio.create_task(leg("task", 0.25))
    print("task", await task, flush=True)
    loop = asyncio.get_running_loop()
    t = loop.time()
    await asyncio.sleep(0.5)
    print(f"loop.time {loop.time() - t:.6f}", flush=True)
    result = await loop.run_in_executor(None, lambda: (time.sleep(2), "executor")[1])
    stamp(result)


thread_loop = asyncio.new_event_loop()


def run_thread_loop():
    asyncio.set_event_loop(thread_loop)
    thread_loop.run_forever()


threading.Thread(target=run_thread_loop, daemon=True).start()


async def in_thread():
    await asyncio.sleep(4)
    return "thread-loop"


future = asyncio.run_coroutine_threadsafe(in_thread(), thread_loop)
asyncio.run(main())
print("thread", future.result(timeout=10), flush=True)
stamp("end")
