"""The demo server answers at loopback speed: no answer waits on the client's delayed ACK."""

from __future__ import annotations

import socket

from batch_tui.demo.server import DemoApi, DemoServer
from batch_tui.demo.simulator import Simulator
from helpers import EPOCH, TEST_KEY


def test_the_connections_it_serves_send_without_nagle_delay(clock):
    """An answer goes out as headers, then body; with Nagle's algorithm on, the body
    waits ~40 ms for the client's delayed ACK, on every request of every dashboard,
    test and benchmark that talks to the demo server."""
    with DemoServer(DemoApi(Simulator(seed=1, epoch=EPOCH, clock=clock), rate_limit=0)) as server:
        with socket.create_connection(("127.0.0.1", server.port)) as client:
            request = f"GET /v1/batch?limit=1 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TEST_KEY}\r\n\r\n"
            client.sendall(request.encode())
            assert client.recv(65536).startswith(b"HTTP/1.1 200")
            state = server._server.server_state  # the connections uvicorn is serving
            served = [c.transport.get_extra_info("socket") for c in state.connections]
            assert served
            assert all(s.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) for s in served)
