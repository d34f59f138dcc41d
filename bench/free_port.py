"""Prints a TCP port free on 127.0.0.1 and not among the ones given as
arguments, outside the kernel's ephemeral range: a port from that range,
free when asked, can be some client connection's source port by the time
tamed binds it (the benchmarks open thousands of connections). The same
as free_port() of tests/e2e/conftest.py."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "tests", "e2e"))
from conftest import _GIVEN_PORTS, free_port  # noqa: E402

_GIVEN_PORTS.update(int(p) for p in sys.argv[1:])
print(free_port())
