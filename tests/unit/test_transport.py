"""The client's own transport (``api/transport.py``), against real loopback servers:
one that counts its connections and can be told to misbehave at the socket level
(close an idle connection, cut an answer short, never answer), and the demo server.
"""

from __future__ import annotations

import asyncio
import json
import ssl

import pytest

from batch_tui.api.client import CheckClient
from batch_tui.api.errors import ApiTimeout, BadResponse, ConnectionFailed
from batch_tui.api.http import httpx
from batch_tui.api.transport import DirectTransport
from helpers import TEST_KEY, wait_until
from hostile_server import HostileServer, json_response

BODY = json.dumps({"data": [], "pagination": {"total": 0, "limit": 10, "offset": 0}}).encode()


def answer(body: bytes = BODY, *, length: int | None = None) -> bytes:
    head = (
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body) if length is None else length}\r\n\r\n"
    )
    return head.encode() + body


class RawServer:
    """A loopback HTTP/1.1 server that reads each request's head and answers with
    ``reply(n)`` (the n-th request over all connections): bytes to send, and whether
    to close the connection after them; None: say nothing, ever."""

    def __init__(self, reply, *, tls: ssl.SSLContext | None = None) -> None:
        self.reply = reply
        self.tls = tls
        self.connections = 0
        self.requests = 0
        self.hung_up = 0
        """Connections the client closed."""
        self._server: asyncio.Server | None = None

    async def __aenter__(self) -> RawServer:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0, ssl=self.tls)
        return self

    async def __aexit__(self, *exc) -> None:
        assert self._server is not None
        self._server.close()

    @property
    def url(self) -> str:
        assert self._server is not None
        scheme = "https" if self.tls else "http"
        return f"{scheme}://localhost:{self._server.sockets[0].getsockname()[1]}"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while await reader.readuntil(b"\r\n\r\n"):
                self.requests += 1
                reply = self.reply(self.requests)
                if reply is None:
                    await asyncio.Event().wait()  # never answers
                data, close = reply
                writer.write(data)
                await writer.drain()
                if close:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            self.hung_up += 1
        finally:
            writer.close()


async def test_requests_in_a_row_share_one_connection():
    async with RawServer(lambda n: (answer(), False)) as server:
        async with CheckClient(server.url, TEST_KEY) as client:
            for _ in range(5):
                await client.list_batches()
        assert (server.requests, server.connections) == (5, 1)


async def test_a_connection_the_server_closed_while_idle_is_not_reused():
    # The server closes after each answer, without saying so in a header: the
    # next request must notice and connect again, not fail on the dead connection.
    async with RawServer(lambda n: (answer(), True)) as server:
        async with CheckClient(server.url, TEST_KEY) as client:
            idle = client._http._transport._idle
            for _ in range(3):
                await client.list_batches()
                # Until the loop has read the server's close on the idle connection.
                await wait_until(lambda: all(c.reader.at_eof() for cs in idle.values() for c in cs))
        assert (server.requests, server.connections) == (3, 3)


async def test_an_answer_cut_short_fails_that_request_only():
    # The first answer promises 500 bytes, sends a few and hangs up.
    def reply(n):
        return (answer(b'{"data": [', length=500), True) if n == 1 else (answer(), False)

    async with RawServer(reply) as server:
        async with CheckClient(server.url, TEST_KEY) as client:
            with pytest.raises(ConnectionFailed, match="GET /v1/batch"):
                await client.list_batches()
            page = await client.list_batches()
        assert page.batches == () and server.connections == 2


async def test_a_server_that_never_answers_times_out_and_the_connection_is_dropped():
    async with RawServer(lambda n: None if n == 1 else (answer(), False)) as server:
        async with CheckClient(server.url, TEST_KEY, timeout=httpx.Timeout(0.3)) as client:
            with pytest.raises(ApiTimeout):
                await client.list_batches()
            await client.list_batches()
        assert server.connections == 2


async def test_an_answer_left_unread_closes_its_connection():
    # Larger than the client reads: it stops early, and the rest of the answer must
    # not be taken for the start of the next one; the connection is closed.
    big = json.dumps({"data": ["x" * 2000]}).encode()
    async with RawServer(lambda n: (answer(big), False) if n == 1 else (answer(), False)) as server:
        async with CheckClient(server.url, TEST_KEY, max_body_bytes=100) as client:
            with pytest.raises(BadResponse, match="larger than 100 bytes"):
                await client.list_batches()
            await wait_until(lambda: server.hung_up == 1)
            await client.list_batches()
        assert server.connections == 2


async def test_a_refused_connection_says_so_plainly():
    async with RawServer(lambda n: (answer(), False)) as server:
        url = server.url
    async with CheckClient(url, TEST_KEY) as client:
        with pytest.raises(ConnectionFailed, match=r"GET /v1/batch: Connection refused$"):
            await client.list_batches()


def server_tls(certificates) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(certificates / "server.crt", certificates / "server.key")
    return context


async def test_https_with_a_trusted_certificate(certificates, monkeypatch):
    # httpx's own way to trust another authority (its default context reads it).
    monkeypatch.setenv("SSL_CERT_FILE", str(certificates / "ca.crt"))
    async with RawServer(lambda n: (answer(), False), tls=server_tls(certificates)) as server:
        async with CheckClient(server.url, TEST_KEY) as client:
            await client.list_batches()
            await client.list_batches()
        assert (server.requests, server.connections) == (2, 1)


async def test_https_refuses_a_certificate_it_cannot_verify(certificates, monkeypatch):
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    async with RawServer(lambda n: (answer(), False), tls=server_tls(certificates)) as server:
        async with CheckClient(server.url, TEST_KEY) as client:
            with pytest.raises(ConnectionFailed, match="certificate verify failed"):
                await client.list_batches()
        assert server.requests == 0


async def test_the_demo_server_over_the_direct_transport(client, simulator):
    assert isinstance(client._http._transport, DirectTransport)
    page = await client.list_batches(limit=5)
    detail = await client.get_batch(page.batches[0].id or "")
    assert detail.id == page.batches[0].id


async def test_requests_sent_again_go_where_they_should_with_the_same_headers():
    # A GET is built once and sent again as it is: every send must still carry its
    # own path and query and the client's headers, and two batches never share one.
    with HostileServer(
        lambda request: json_response(json.dumps({"id": "batch_a", "data": []}))
    ) as server:
        async with CheckClient(server.url, TEST_KEY) as client:
            for status in ("processing", "processing", "pending"):
                await client.list_batches(status=status, limit=20)
            for batch_id in ("batch_a", "batch_b", "batch_a"):
                await client.get_batch(batch_id)
    assert [request.target for request in server.requests] == [
        "/v1/batch?limit=20&offset=0&status=processing",
        "/v1/batch?limit=20&offset=0&status=processing",
        "/v1/batch?limit=20&offset=0&status=pending",
        "/v1/batch/batch_a",
        "/v1/batch/batch_b",
        "/v1/batch/batch_a",
    ]
    first = server.requests[0].headers
    assert first["authorization"] == f"Bearer {TEST_KEY}"
    assert all(request.headers == first for request in server.requests)


def test_with_a_proxy_configured_httpx_own_transport_is_kept(monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example.test:3128")
    client = CheckClient("https://api.example.test", TEST_KEY)
    assert not isinstance(client._http._transport, DirectTransport)
    monkeypatch.delenv("HTTPS_PROXY")
    assert isinstance(
        CheckClient("https://api.example.test", TEST_KEY)._http._transport, DirectTransport
    )
