"""Waits on a real socket: no virtual time can satisfy it."""

import socket

server = socket.socket()
server.bind(("127.0.0.1", 0))
server.listen()
server.accept()
