"""Each primitive must take exactly its virtual duration. Prints `name elapsed_ns`."""
import concurrent.futures
import datetime as dt
import queue
import threading
import time
from time import monotonic_ns, sleep


def measure(name, fn):
    t0 = time.monotonic_ns()
    out = fn()
    print(name, time.monotonic_ns() - t0, out, flush=True)


print("ctime", time.ctime())
print("asctime", time.asctime())
print("now", dt.datetime.now(dt.timezone.utc).isoformat())
print("utcnow", dt.datetime.utcnow().isoformat())
print("today", dt.date.today().isoformat())
print("time", repr(time.time()))
print("gmtime", time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime()))
print("strftime", time.strftime("%H:%M:%S"))
print("monotonic", repr(time.monotonic()))
print("clock_realtime", repr(time.clock_gettime(time.CLOCK_REALTIME)))
print("clock_monotonic_ns", time.clock_gettime_ns(time.CLOCK_MONOTONIC))

measure("time.sleep", lambda: time.sleep(1.5))
measure("from_time_sleep", lambda: sleep(0.25))

p0 = time.perf_counter()
time.sleep(3)
print("perf_counter", repr(time.perf_counter() - p0))
w0 = time.time()
time.sleep(2)
print("time.time", repr(time.time() - w0))
d0 = dt.datetime.now(dt.timezone.utc)
time.sleep(4)
print("datetime", (dt.datetime.now(dt.timezone.utc) - d0).total_seconds())


def timer():
    fired = threading.Event()
    t = threading.Timer(7.5, fired.set)
    t.start()
    fired.wait()
    return fired.is_set()


measure("Timer(7.5)", timer)
cond = threading.Condition()


def wait_for():
    with cond:
        return cond.wait_for(lambda: False, timeout=4)


measure("Condition.wait_for(4)", wait_for)
lock = threading.Lock()
lock.acquire()
measure("Lock.acquire(2.5)", lambda: lock.acquire(timeout=2.5))
q = queue.Queue()


def qget():
    try:
        return q.get(timeout=1.25)
    except queue.Empty:
        return "Empty"


measure("Queue.get(1.25)", qget)
sem = threading.Semaphore(0)
measure("Semaphore.acquire(0.5)", lambda: sem.acquire(timeout=0.5))
ev = threading.Event()
measure("Event.wait(3)", lambda: ev.wait(3))
sleeper = threading.Thread(target=time.sleep, args=(100,), daemon=True)
sleeper.start()


def join():
    sleeper.join(timeout=6)
    return sleeper.is_alive()


measure("Thread.join(6)", join)


def pool(workers):
    with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as ex:
        return list(ex.map(lambda s: (time.sleep(s), s)[1], [1, 2, 3]))


measure("ThreadPoolExecutor.map(3 workers)", lambda: pool(3))
measure("ThreadPoolExecutor.map(2 workers)", lambda: pool(2))


def busy_wait():
    t0 = time.time()
    while time.time() < t0 + 5:
        pass


measure("busy-wait(5)", busy_wait)
print("end", dt.datetime.now(dt.timezone.utc).isoformat())
