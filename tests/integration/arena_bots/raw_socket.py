"""A bot that goes around the sandbox's network guard (the C-level `_socket` module) to reach a port on
127.0.0.1 given as its argument; it prints what happened."""
import _socket
import sys
import time

time.sleep(5)
try:
    sock = _socket.socket(_socket.AF_INET, _socket.SOCK_STREAM)
    sock.settimeout(2)
    sock.connect(("127.0.0.1", int(sys.argv[1])))
    print("connected", flush=True)
except OSError as error:
    print(f"no network: {error}", flush=True)
time.sleep(60)
