"""A loopback HTTP server that answers with exactly the bytes a test chooses.

The demo server speaks the API correctly, and even its faults are well-formed
HTTP. Hostile answers (a decompression bomb, a body trickled one byte at a time,
JSON nested 100,000 deep, odd headers) need a server that writes raw bytes, so
this one is a plain asyncio socket server on 127.0.0.1, port 0, in a thread.

``answer`` is called with each request and returns the bytes to send: one
``bytes`` value (a whole response, see ``response()``), or an async iterator of
pieces written one after the other (to trickle). The connection is closed after
each answer. Every request is recorded in ``requests``.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

REASONS = {
    200: "OK",
    204: "No Content",
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    429: "Too Many Requests",
    500: "Internal Server Error",
}


@dataclass(frozen=True)
class RawRequest:
    """What the client sent: method, target (path and query) and headers (lower-case names)."""

    method: str
    target: str
    headers: dict[str, str]

    @property
    def path(self) -> str:
        return self.target.split("?", 1)[0]


Answer = bytes | AsyncIterator[bytes]


def response(
    status: int = 200,
    body: bytes = b"",
    *,
    headers: dict[str, str] | None = None,
    reason: str | None = None,
) -> bytes:
    """One complete HTTP/1.1 response; Content-Length and JSON type unless ``headers`` say otherwise."""
    fields = {"Content-Type": "application/json", "Content-Length": str(len(body))}
    fields.update(headers or {})
    head = f"HTTP/1.1 {status} {reason if reason is not None else REASONS.get(status, '')}\r\n"
    head += "".join(f"{name}: {value}\r\n" for name, value in fields.items())
    head += "Connection: close\r\n\r\n"
    return head.encode("latin-1") + body


def json_response(body: str | bytes, status: int = 200, **options) -> bytes:
    """``response()`` for a JSON text."""
    return response(status, body.encode() if isinstance(body, str) else body, **options)


class HostileServer:
    """Serves ``answer(request)`` on a free loopback port until the ``with`` block ends."""

    def __init__(self, answer: Callable[[RawRequest], Answer] | bytes) -> None:
        self._answer = answer if callable(answer) else (lambda _request: answer)
        self.requests: list[RawRequest] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.Server | None = None
        self._thread: threading.Thread | None = None
        self._stopped: asyncio.Event | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> HostileServer:
        ready = threading.Event()

        async def main() -> None:
            self._stopped = asyncio.Event()
            self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
            self.port = self._server.sockets[0].getsockname()[1]
            ready.set()
            await self._stopped.wait()
            self._server.close()
            # A trickle still writing to a client that hung up is simply dropped.
            others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in others:
                task.cancel()
            await asyncio.gather(*others, return_exceptions=True)

        def run() -> None:
            self._loop = asyncio.new_event_loop()
            self._loop.run_until_complete(main())
            self._loop.close()

        self._thread = threading.Thread(target=run, name="hostile-server", daemon=True)
        self._thread.start()
        if not ready.wait(timeout=10):
            raise RuntimeError("hostile server did not start")
        return self

    def __exit__(self, *exc_info: object) -> None:
        assert self._loop is not None and self._stopped is not None
        self._loop.call_soon_threadsafe(self._stopped.set)
        assert self._thread is not None
        self._thread.join(timeout=10)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            method, target, _ = lines[0].split(" ", 2)
            headers = {}
            for line in lines[1:]:
                if ":" in line:
                    name, value = line.split(":", 1)
                    headers[name.strip().lower()] = value.strip()
            length = int(headers.get("content-length", "0") or 0)
            if length:
                await reader.readexactly(length)
            request = RawRequest(method, target, headers)
            self.requests.append(request)
            answer = self._answer(request)
            if isinstance(answer, bytes):
                writer.write(answer)
                await writer.drain()
            else:
                async for piece in answer:
                    if reader.at_eof() or writer.is_closing():
                        break  # the client hung up
                    writer.write(piece)
                    await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass  # the client went away: that is what some tests want
        finally:
            writer.close()
