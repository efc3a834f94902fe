"""The demo server: the Check batch API over real HTTP, backed by the simulator.

An ASGI app (Starlette) served by uvicorn on 127.0.0.1. It speaks the documented
API: the four batch endpoints the dashboard uses, the ``{"error": {...}}``
envelope, ``X-RateLimit-*`` headers on every answer, 429 with ``Retry-After`` past
the per-minute limit, and bearer auth. ``Faults`` lets tests make it misbehave;
``misbehave`` builds the answers of its hostile kinds.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import threading
from collections.abc import Awaitable, Callable
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from batch_tui.api.models import BATCH_STATUSES
from batch_tui.demo import misbehave
from batch_tui.demo.faults import DroppedConnection, Faults
from batch_tui.demo.ratelimit import RateLimiter, Verdict
from batch_tui.demo.simulator import Simulator, SimulatorError

DEFAULT_RATE_LIMIT = 200
MAX_PAGE = 100

Handler = Callable[[Request], Awaitable[Any]]
"""An endpoint's own work: a JSON-able result, or a ``Response``."""


def error_response(status: int, code: str, message: str, **extra: Any) -> JSONResponse:
    """The API's error envelope."""
    return JSONResponse({"error": {"code": code, "message": message, **extra}}, status_code=status)


def _int_param(request: Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SimulatorError(400, "invalid_request", f"{name} must be an integer") from None
    if not low <= value <= high:
        raise SimulatorError(400, "invalid_request", f"{name} must be between {low} and {high}")
    return value


class DemoApi:
    """The ASGI app and the knobs that shape it: simulator, key, rate limit and faults."""

    def __init__(
        self,
        simulator: Simulator,
        *,
        api_key: str | None = None,
        rate_limit: int | None = DEFAULT_RATE_LIMIT,
        foreign_load: float = 0,
        faults: Faults | None = None,
    ) -> None:
        self.simulator = simulator
        self.api_key = api_key
        """When set, only this bearer key is accepted; otherwise any key is."""
        self.limiter = RateLimiter(rate_limit, simulator.clock, foreign_per_minute=foreign_load)
        self.faults = faults or Faults()
        """What is going wrong on purpose (tests change it at run time)."""
        self.request_log: list[tuple[str, str]] = []
        """Every request received, as (method, path): tests count requests with it."""
        self.log_requests = True
        """Whether to keep ``request_log`` (off for a server running on its own for
        hours: nobody reads it there, and it would grow with every request)."""
        self.in_flight = 0
        self.max_in_flight = 0
        """The most requests ever handled at once: shows whether a client overlaps them."""
        self.app = Starlette(
            routes=[
                Route("/v1/batch", self._guard(self.list_batches), methods=["GET"]),
                Route("/v1/batch/{batch_id}", self._guard(self.get_batch), methods=["GET"]),
                Route(
                    "/v1/batch/{batch_id}/results",
                    self._guard(self.get_results),
                    methods=["GET"],
                ),
                Route(
                    "/v1/batch/{batch_id}/cancel",
                    self._guard(self.cancel_batch),
                    methods=["POST"],
                ),
                Route(
                    "/{path:path}",
                    self._guard(self.not_found),
                    methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
                ),
            ],
        )

    def _authorized(self, request: Request) -> bool:
        header = request.headers.get("authorization", "")
        scheme, _, key = header.partition(" ")
        if scheme.lower() != "bearer" or not key.strip():
            return False
        return self.api_key is None or key.strip() == self.api_key

    def _guard(self, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        """Wrap a handler in auth, rate limiting, faults and the error envelope."""

        async def endpoint(request: Request) -> Response:
            if self.log_requests:
                self.request_log.append((request.method, request.url.path))
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            try:
                return await self._answer(request, handler)
            finally:
                self.in_flight -= 1

        return endpoint

    async def _answer(self, request: Request, handler: Handler) -> Response:
        """The answer to one request, faults and all."""
        faults = self.faults
        if faults.delay:
            await asyncio.sleep(faults.delay)
        if faults.roll(faults.hang_rate):
            await asyncio.sleep(faults.hang_for)
        if faults.roll(faults.drop_rate):
            return _Dropped()
        if faults.roll(faults.echokey_rate):
            return misbehave.echo_key(request.headers.get("authorization", ""))
        if not self._authorized(request):
            return error_response(401, "unauthorized", "Invalid or missing API key")
        verdict = self.limiter.check()
        headers = verdict.headers()
        response = await self._refusal(verdict)
        if response is None:
            response = await self._result(request, handler)
        if faults.roll(faults.msreset_rate):
            misbehave.ms_reset(headers)
        for name, value in headers.items():
            # A fault's own rate-limit headers (a huge Retry-After, say) win.
            response.headers.setdefault(name, value)
        if faults.roll(faults.trickle_rate):
            response = misbehave.trickle(response, faults.trickle_every)
        return response

    async def _refusal(self, verdict: Verdict) -> Response | None:
        """An answer that takes the place of the handler's: a 429 or an injected fault."""
        faults = self.faults
        if faults.roll(faults.hugereset_rate):
            return misbehave.huge_reset()
        if not verdict.allowed or faults.take_429():
            retry_after = verdict.retry_after if not verdict.allowed else 1
            response = error_response(
                429,
                "rate_limited",
                f"Rate limit exceeded. Try again in {retry_after} seconds.",
                retryAfter=retry_after,
            )
            response.headers["Retry-After"] = str(retry_after)
            return response
        if faults.status is not None:
            envelope = faults.error or {"code": "injected_fault", "message": "Injected fault"}
            return JSONResponse({"error": envelope}, status_code=faults.status)
        if faults.roll(faults.error_rate):
            status = faults.rng.choice((500, 502, 503))
            return error_response(status, "injected_fault", f"Injected {status}")
        if faults.roll(faults.malformed_rate):
            body, media_type = faults.malformed()
            return Response(body, media_type=media_type)
        if faults.roll(faults.nested_rate):
            return misbehave.nested()
        if faults.roll(faults.gzipbomb_rate):
            return await misbehave.gzip_bomb(faults)
        return None

    async def _result(self, request: Request, handler: Handler) -> Response:
        """The handler's answer as a response, or its refusal in the error envelope."""
        try:
            result = await handler(request)
        except SimulatorError as exc:
            return error_response(exc.status, exc.code, exc.message)
        if isinstance(result, Response):
            return result
        if self.faults.body is not None:
            return Response(self.faults.body, media_type=self.faults.content_type)
        return JSONResponse(result)

    async def list_batches(self, request: Request) -> Any:
        status = request.query_params.get("status") or None
        if status is not None and status not in BATCH_STATUSES:
            raise SimulatorError(400, "invalid_request", f"Unknown status: {status}")
        limit = _int_param(request, "limit", 20, 1, MAX_PAGE)
        offset = _int_param(request, "offset", 0, 0, 10**9)
        faults = self.faults
        if faults.roll(faults.endless_rate):
            return misbehave.endless_page(faults, offset, limit, self.simulator.clock())
        if status is not None and faults.frozen:
            return self._frozen_status_page(status, limit, offset)
        if faults.roll(faults.unordered_rate):
            page = misbehave.oldest_first(self.simulator, status, limit, offset)
        else:
            page = self.simulator.list_json(limit=limit, offset=offset, status=status)
        if faults.stall_rate or faults.unaccounted_rate:
            page["data"] = [faults.doctor(row) for row in page["data"]]
        if faults.roll(faults.badlist_rate):
            page = misbehave.bad_list(faults, page)
        return page

    def _frozen_status_page(self, status: str, limit: int, offset: int) -> dict[str, Any]:
        """A page of ``?status=S`` that agrees with the unfiltered list under ``stall``:
        a stalled batch is in the status it is frozen in, not the one it really reached.

        It reads every batch really in ``S`` (cheap for the running statuses the
        dashboard sweeps; a fault for tests and demos, not for 100,000 finished ones)."""
        faults, simulator = self.faults, self.simulator
        rows = simulator.list_json(limit=10**9, status=status)["data"]
        listed = {row["id"] for row in rows}
        for batch_id, frozen in list(faults.frozen.items()):
            if frozen.get("status") == status and batch_id not in listed:
                with contextlib.suppress(SimulatorError):
                    rows.append(simulator.summary_json(simulator.find(batch_id)))
        rows = [row for row in map(faults.doctor, rows) if row.get("status") == status]
        rows.sort(key=lambda row: (row.get("createdAt") or "", row["id"]), reverse=True)
        return {
            "data": rows[offset : offset + limit],
            "pagination": {
                "total": len(rows),
                "limit": limit,
                "offset": offset,
                "hasMore": offset + limit < len(rows),
            },
        }

    async def get_batch(self, request: Request) -> Any:
        return self.faults.doctor(self.simulator.get_json(request.path_params["batch_id"]))

    async def get_results(self, request: Request) -> Any:
        return self.simulator.results_json(
            request.path_params["batch_id"],
            limit=_int_param(request, "limit", 20, 1, MAX_PAGE),
            offset=_int_param(request, "offset", 0, 0, 10**9),
        )

    async def cancel_batch(self, request: Request) -> Any:
        return self.simulator.cancel(request.path_params["batch_id"])

    async def not_found(self, request: Request) -> Any:
        raise SimulatorError(404, "not_found", "Not found")


class _Dropped(Response):
    """Starts an answer, then drops the connection: the client sees it cut off."""

    def __init__(self) -> None:
        super().__init__(b"")

    async def __call__(self, scope, receive, send) -> None:
        await send(
            {"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"64")]}
        )
        raise DroppedConnection("injected: connection dropped")


class _QuietDrops(logging.Filter):
    """Keeps the server's log free of the tracebacks of connections dropped on purpose."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        while exc is not None:
            if isinstance(exc, DroppedConnection):
                return False
            exc = exc.__cause__ or exc.__context__
        return True


logging.getLogger("uvicorn.error").addFilter(_QuietDrops())


def _bind(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Answers go out as headers, then body: with Nagle's algorithm on, the body
    # waits for the client's delayed ACK of the headers, 40 ms on every request.
    # Accepted connections inherit the option from the listening socket.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    sock.listen(128)
    sock.setblocking(False)
    return sock


class DemoServer:
    """Runs a ``DemoApi`` on a real loopback socket in a background thread.

    ``port=0`` picks a free port; ``url`` tells which. Use as a context manager,
    or call ``start()`` and ``stop()``.
    """

    def __init__(self, api: DemoApi, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.api = api
        self.host = host
        self._requested_port = port
        self._socket: socket.socket | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        """The port the server listens on (after ``start()``)."""
        if self._socket is None:
            raise RuntimeError("server not started")
        return self._socket.getsockname()[1]

    @property
    def url(self) -> str:
        """The base URL to give a client, e.g. ``http://127.0.0.1:53211``."""
        return f"http://{self.host}:{self.port}"

    def start(self) -> DemoServer:
        """Bind, start serving in a daemon thread, and wait until it accepts requests."""
        self._socket = _bind(self.host, self._requested_port)
        config = uvicorn.Config(self.api.app, log_level="warning", access_log=False, lifespan="off")
        self._server = uvicorn.Server(config)
        started = threading.Event()
        failure: list[BaseException] = []

        def serve() -> None:
            async def main() -> None:
                assert self._server is not None and self._socket is not None
                task = asyncio.create_task(self._server.serve(sockets=[self._socket]))
                while not self._server.started and not task.done():
                    await asyncio.sleep(0.01)
                started.set()
                await task

            try:
                asyncio.run(main())
            except BaseException as exc:  # reported to start(), never lost in a thread
                failure.append(exc)
                started.set()

        self._thread = threading.Thread(target=serve, name="batch-tui-demo-server", daemon=True)
        self._thread.start()
        if not started.wait(timeout=15):
            raise RuntimeError("demo server did not start within 15 s")
        if failure:
            raise RuntimeError(f"demo server failed to start: {failure[0]}")
        return self

    def stop(self) -> None:
        """Stop serving and release the port."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self._socket is not None:
            self._socket.close()
        self._thread = self._server = None

    def __enter__(self) -> DemoServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def serve_forever(api: DemoApi, *, host: str = "127.0.0.1", port: int = 8787) -> None:
    """Run the demo API in the foreground until interrupted (``batch-tui demo-server``).

    Nothing in this process reads the request log, so it is not kept: the
    server's memory does not grow with the requests it answers.
    """
    api.log_requests = False
    config = uvicorn.Config(
        api.app, host=host, port=port, log_level="info", access_log=False, lifespan="off"
    )
    uvicorn.Server(config).run()
