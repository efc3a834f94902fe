"""``DirectTransport``: httpx's transport for a direct connection, on asyncio streams.

httpx hands every request to a transport. Its default one goes through httpcore's
connection pool and anyio's streams, and that machinery costs about as much CPU as
the rest of the client: a request to the demo server on loopback took about 0.8 ms
of CPU through it and 0.4 ms through this one. A dashboard that polls all day sends
about a request a second, and its idle cost is measured against Textual's own
(``tools/benchmark.py``, benchmark 8).

This transport does what the client needs and no more: HTTP/1.1 (h11, the parser
httpcore itself uses), TLS with httpx's own default context, keep-alive with a
small pool per origin, and httpx's timeouts (connect, read, write) and exception
types, so the client above cannot tell the difference. It is used only for a
direct connection: with a proxy configured in the environment, the client keeps
httpx's default transport, which knows proxies (``CheckClient``).

A connection is reused only when its last exchange ended cleanly, it has been idle
less than ``KEEPALIVE_EXPIRY`` and the server has not closed it meanwhile; one
abandoned mid-answer (a cap, a deadline, a cancel) is closed, never reused.
"""

from __future__ import annotations

import asyncio
import os
import socket
import ssl
import time
from collections.abc import AsyncIterator
from typing import Any

import h11

from batch_tui.api.http import httpx

#: Seconds an idle connection is kept for reuse (httpx's default too).
KEEPALIVE_EXPIRY = 5.0
#: Idle connections kept per origin (the monitor sends one request at a time).
MAX_IDLE = 4
#: Bytes asked of the socket per read.
READ_SIZE = 64 * 1024

Origin = tuple[str, str, int]


class _Connection:
    """One HTTP/1.1 connection: its streams and its h11 state."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.h11 = h11.Connection(h11.CLIENT)
        self.idle_since = time.monotonic()

    def usable(self) -> bool:
        """True when it can carry another request: idle not too long, and not closed
        by the server meanwhile (its end of file would have been read already)."""
        return (
            time.monotonic() - self.idle_since < KEEPALIVE_EXPIRY
            and not self.reader.at_eof()
            and not self.writer.is_closing()
        )

    def close(self) -> None:
        self.writer.close()


def _connect_failure(exc: OSError) -> str:
    """Why a connection could not be made, in the system's words ("Connection
    refused", "Name or service not known"), without asyncio's list of addresses."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"certificate verify failed: {exc.verify_message}"
    if isinstance(exc, ssl.SSLError):
        return f"TLS failed: {exc.reason or exc}"
    if isinstance(exc, socket.gaierror):
        return exc.strerror or "the host name could not be resolved"
    if exc.errno is not None and exc.errno > 0:
        return os.strerror(exc.errno)
    return "all connection attempts failed"  # each of the host's addresses refused


def _timeouts(request: httpx.Request) -> dict[str, float | None]:
    timeouts: dict[str, float | None] = request.extensions.get("timeout", {})
    return timeouts


async def _within(seconds: float | None, awaitable: Any, error: type[Exception], what: str) -> Any:
    """``awaitable``'s result, or ``error`` once ``seconds`` have passed."""
    try:
        async with asyncio.timeout(seconds):
            return await awaitable
    except TimeoutError:
        raise error(f"{what} timed out") from None


class _Body(httpx.AsyncByteStream):
    """The response body, read from the connection as the client asks for it; the
    connection goes back to the pool only once the whole answer was read."""

    def __init__(
        self,
        transport: DirectTransport,
        origin: Origin,
        conn: _Connection,
        read_timeout: float | None,
    ) -> None:
        self._transport = transport
        self._origin = origin
        self._conn: _Connection | None = conn
        self._read_timeout = read_timeout

    async def __aiter__(self) -> AsyncIterator[bytes]:
        conn = self._conn
        if conn is None:
            return
        while True:
            event = await self._transport._next_event(conn, self._read_timeout)
            if isinstance(event, h11.Data):
                yield bytes(event.data)
            elif isinstance(event, h11.EndOfMessage):
                self._conn = None
                self._transport._release(self._origin, conn)
                return

    async def aclose(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()  # the answer was not read to its end: the connection is spent


class DirectTransport(httpx.AsyncBaseTransport):
    """HTTP/1.1 on asyncio streams, with keep-alive: see the module docstring."""

    def __init__(self, ssl_context: ssl.SSLContext | None = None) -> None:
        self._ssl_context = ssl_context
        self._idle: dict[Origin, list[_Connection]] = {}

    def _ssl(self) -> ssl.SSLContext:
        if self._ssl_context is None:
            self._ssl_context = httpx.create_ssl_context()
        return self._ssl_context

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        if url.scheme not in ("http", "https"):
            raise httpx.UnsupportedProtocol(f"unsupported scheme {url.scheme!r}")
        port = url.port or (443 if url.scheme == "https" else 80)
        origin: Origin = (url.scheme, url.host, port)
        timeouts = _timeouts(request)
        body = await request.aread()
        conn = self._reuse(origin) or await self._connect(origin, timeouts.get("connect"))
        try:
            await self._send(conn, request, body, timeouts.get("write"))
            while True:
                event = await self._next_event(conn, timeouts.get("read"))
                if isinstance(event, h11.Response):
                    break
        except BaseException:
            conn.close()  # spent, whatever went wrong (a cancel included)
            raise
        return httpx.Response(
            event.status_code,
            headers=event.headers.raw_items(),
            stream=_Body(self, origin, conn, timeouts.get("read")),
            extensions={"http_version": b"HTTP/1.1", "reason_phrase": event.reason},
        )

    @staticmethod
    async def _send(
        conn: _Connection, request: httpx.Request, body: bytes, timeout: float | None
    ) -> None:
        try:
            head = h11.Request(
                method=request.method, target=request.url.raw_path, headers=request.headers.raw
            )
            data = conn.h11.send(head) or b""
            if body:
                data += conn.h11.send(h11.Data(data=body)) or b""
            data += conn.h11.send(h11.EndOfMessage()) or b""
        except h11.LocalProtocolError as exc:
            raise httpx.LocalProtocolError(str(exc)) from None
        try:
            conn.writer.write(data)
            await _within(timeout, conn.writer.drain(), httpx.WriteTimeout, "write")
        except OSError as exc:
            raise httpx.WriteError(str(exc) or type(exc).__name__) from None

    def _reuse(self, origin: Origin) -> _Connection | None:
        idle = self._idle.get(origin)
        while idle:
            conn = idle.pop()
            if conn.usable():
                return conn
            conn.close()
        return None

    async def _connect(self, origin: Origin, timeout: float | None) -> _Connection:
        scheme, host, port = origin
        secure = scheme == "https"
        try:
            reader, writer = await _within(
                timeout,
                asyncio.open_connection(
                    host,
                    port,
                    ssl=self._ssl() if secure else None,
                    server_hostname=host if secure else None,
                    limit=READ_SIZE,
                ),
                httpx.ConnectTimeout,
                "connect",
            )
        except OSError as exc:
            raise httpx.ConnectError(_connect_failure(exc)) from None
        return _Connection(reader, writer)

    async def _next_event(self, conn: _Connection, timeout: float | None) -> Any:
        """The connection's next h11 event, reading the socket as needed."""
        while True:
            try:
                event = conn.h11.next_event()
            except h11.RemoteProtocolError as exc:
                conn.close()
                raise httpx.RemoteProtocolError(str(exc)) from None
            if event is not h11.NEED_DATA:
                return event
            try:
                chunk = await _within(
                    timeout, conn.reader.read(READ_SIZE), httpx.ReadTimeout, "read"
                )
            except OSError as exc:
                conn.close()
                raise httpx.ReadError(str(exc) or type(exc).__name__) from None
            except httpx.ReadTimeout:
                conn.close()
                raise
            conn.h11.receive_data(chunk)  # b"": the server closed the connection

    def _release(self, origin: Origin, conn: _Connection) -> None:
        """Back to the pool after a complete exchange, when the connection may be kept."""
        if conn.h11.our_state is h11.DONE and conn.h11.their_state is h11.DONE:
            conn.h11.start_next_cycle()
            conn.idle_since = time.monotonic()
            idle = self._idle.setdefault(origin, [])
            if len(idle) < MAX_IDLE:
                idle.append(conn)
                return
        conn.close()

    async def aclose(self) -> None:
        idle, self._idle = self._idle, {}
        for conns in idle.values():
            for conn in conns:
                conn.close()
