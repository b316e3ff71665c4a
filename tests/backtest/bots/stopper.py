"""Template-style bot: a non-daemon worker, stop() on KeyboardInterrupt with join(timeout)."""
import threading
import time

stop_flag = threading.Event()


def work():
    while not stop_flag.is_set():
        time.sleep(0.7)
    time.sleep(2)  # finishing touches
    print("worker stopped at", time.time(), flush=True)


worker = threading.Thread(target=work, name="worker")
worker.start()
try:
    while True:
        time.sleep(5)
except KeyboardInterrupt:
    print("interrupted at", time.time(), flush=True)
    stop_flag.set()
    worker.join(timeout=5)
    print("stopped at", time.time(), flush=True)
