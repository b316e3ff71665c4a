"""Waits on a real socket (one end of a socket pair): no virtual time can satisfy it.

(A listening socket is different: binding succeeds and accept waits in virtual time; see
tests/backtest/test_local_sockets.py.)"""

import socket

left, right = socket.socketpair()
left.recv(1)
