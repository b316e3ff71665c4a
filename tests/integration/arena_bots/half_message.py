"""A hostile bot: it finds its process's channel to the coordinator and writes the start of a message that
never ends (a length header announcing more bytes than ever come)."""
import os
import stat
import struct
import time

time.sleep(30)
for name in os.listdir("/proc/self/fd"):
    fd = int(name)
    try:
        if stat.S_ISSOCK(os.fstat(fd).st_mode):
            os.write(fd, struct.pack(">I", 1000) + b'{"t": 0, ')
    except OSError:
        pass
time.sleep(3600)
