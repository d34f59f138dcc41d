"""Prints a TCP port free on 127.0.0.1, below the kernel's ephemeral
range: a port from that range, free when asked, can be some client
connection's source port by the time tamed binds it (the benchmarks
open thousands of connections). tests/e2e/conftest.py does the same."""
import random
import socket

while True:
    try:
        with socket.socket() as s:
            s.bind(("127.0.0.1", random.randrange(15000, 32768)))
            print(s.getsockname()[1])
            break
    except OSError:
        pass
