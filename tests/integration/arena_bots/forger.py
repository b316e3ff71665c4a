"""A hostile bot: it finds its process's channel to the coordinator and writes a forged report (a request
that claims to arrive in the past)."""
import json
import os
import socket
import stat
import struct
import time

time.sleep(30)
for name in os.listdir("/proc/self/fd"):
    fd = int(name)
    try:
        if stat.S_ISSOCK(os.fstat(fd).st_mode):
            body = json.dumps({"t": 0, "n": None, "q": [[0, 999, "POST", "http://x/api/order", [], None]],
                               "c": []}).encode()
            os.write(fd, struct.pack(">I", len(body)) + body)
    except OSError:
        pass
time.sleep(3600)
