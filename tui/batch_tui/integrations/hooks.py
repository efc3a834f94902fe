"""The ``on_event`` hook: a program run once per batch event, with the batch in its
environment.

The hook is an argument list (``["notify-send", "batch-tui"]``), started with
``create_subprocess_exec``, never through a shell: the batch's fields reach it only
as ``BATCH_*`` environment variables, cleaned of control characters, so no server
text is ever part of a command line; ``BATCH_PROFILE`` and ``BATCH_BASE_URL`` say
which profile and server it is from. No API key reaches it: ``CHECK_API_KEY`` and
every variable a profile names in ``key_env`` are left out by name, and any other
variable whose value (spaces stripped) holds a configured key or looks like one.

Hooks run one at a time, in the order of the events; at most ``MAX_QUEUED`` wait,
and a burst beyond that is dropped and counted (a fleet of 500 finishing at once
must not fork 500 processes). A hook that fails, cannot start or outlives
``HOOK_TIMEOUT`` (then it and its children are killed) is reported in one line;
none of it ever blocks the dashboard. A hook is done when its process exits: what
it left in the background is not waited for, nor killed (a ``sleep 30 &`` or a
``setsid`` daemon holding its stderr open), and its stderr is read for a short
grace period after the exit, then closed on our side.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from urllib.parse import urlsplit, urlunsplit

from batch_tui.core.format import duration_of
from batch_tui.core.textsafe import clean
from batch_tui.monitor.alarms import BatchEvent

#: Seconds a hook may run before it is killed.
HOOK_TIMEOUT = 10.0
#: Events that may wait for the hook; more at once are dropped and counted.
MAX_QUEUED = 50
#: Variables never handed to a hook...
SECRET_VARIABLES = ("CHECK_API_KEY",)
#: ...nor any whose value looks like a Check API key (another profile's ``key_env``).
KEY_PREFIX = "vfy_"
#: The last this many bytes of a failing hook's stderr are kept, to say why.
STDERR_TAIL = 1024
#: Seconds the stderr of a hook that has exited is still read (its last words
#: may be in flight); a child that keeps it open longer is not waited for.
STDERR_GRACE = 0.2


def _number(value: float | int | None) -> str:
    return "" if value is None else f"{value:g}" if isinstance(value, float) else str(value)


def event_variables(event: BatchEvent) -> dict[str, str]:
    """The ``BATCH_*`` variables of one event (empty when a field is unknown)."""
    batch = event.batch
    fields = {
        "BATCH_EVENT": event.kind,
        "BATCH_ID": event.batch_id,
        "BATCH_NAME": batch.name or "",
        "BATCH_STATUS": batch.status or "",
        "BATCH_COST_CENTS": _number(batch.total_cost_cents),
        "BATCH_PROCESSED": _number(batch.processed_items),
        "BATCH_TOTAL": _number(batch.total_items),
        "BATCH_SUCCEEDED": _number(batch.success_count),
        "BATCH_FAILED": _number(batch.failure_count),
        "BATCH_UNACCOUNTED": _number(event.unaccounted),
        "BATCH_STALLED_SECONDS": _number(
            None if event.stalled_for is None else round(event.stalled_for)
        ),
        "BATCH_CREATED_AT": batch.created_at.isoformat() if batch.created_at else "",
        "BATCH_COMPLETED_AT": batch.completed_at.isoformat() if batch.completed_at else "",
        "BATCH_ERROR": batch.error_message or "",
    }
    return {name: clean(value, max_chars=1000) for name, value in fields.items()}


def hook_environment(
    event: BatchEvent,
    environ: Mapping[str, str],
    secret: str | None = None,
    *,
    secrets: Iterable[str] = (),
    secret_names: Iterable[str] = (),
) -> dict[str, str]:
    """A copy of ``environ`` without any API key, plus the event's variables.

    Left out: ``CHECK_API_KEY`` and the ``secret_names`` (every profile's
    ``key_env``) by name; any variable whose value, stripped, holds ``secret``
    (the key in use) or one of ``secrets`` (every key configured), or starts like
    a key. The profile strips the variable it reads its key from, so a value
    with a leading space is as much a key as one without."""
    names = {*SECRET_VARIABLES, *secret_names}
    keys = {key.strip() for key in (secret or "", *secrets) if key and key.strip()}
    env = {
        name: value
        for name, value in environ.items()
        if name not in names
        and not value.strip().startswith(KEY_PREFIX)
        and not any(key in value for key in keys)
    }
    env.update(event_variables(event))
    return env


class _StderrTail:
    """Keeps the end of what a hook writes to stderr, read as it comes on the event loop."""

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._tail = b""
        self._eof = asyncio.Event()
        os.set_blocking(fd, False)
        asyncio.get_running_loop().add_reader(fd, self._read)

    def _read(self) -> None:
        try:
            chunk = os.read(self._fd, 4096)
        except BlockingIOError:
            return
        except OSError:
            chunk = b""
        if not chunk:
            self._eof.set()
            asyncio.get_running_loop().remove_reader(self._fd)
            return
        self._tail = (self._tail + chunk)[-STDERR_TAIL:]

    async def finish(self, grace: float) -> bytes:
        """What was written, waiting at most ``grace`` seconds more for the end of
        file; our end of the pipe is closed either way (a child still writing gets
        EPIPE, not a reader it can block)."""
        try:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._eof.wait(), grace)
        finally:
            asyncio.get_running_loop().remove_reader(self._fd)
            os.close(self._fd)
        return self._tail


def run_context(profile: str | None, base_url: str) -> dict[str, str]:
    """``BATCH_PROFILE`` (empty without one) and ``BATCH_BASE_URL`` (any user or
    password in it left out): with several profiles, which one the event is from."""
    parts = urlsplit(base_url)
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    url = urlunsplit((parts.scheme, host, parts.path, "", "")) if parts.scheme else base_url
    return {"BATCH_PROFILE": clean(profile or "", max_chars=200), "BATCH_BASE_URL": clean(url)}


class HookRunner:
    """Runs the hook for each event, one at a time (see the module docstring)."""

    def __init__(
        self,
        argv: Iterable[str],
        *,
        secret: str | None = None,
        secrets: Iterable[str] = (),
        secret_names: Iterable[str] = (),
        timeout: float = HOOK_TIMEOUT,
        max_queued: int = MAX_QUEUED,
        environ: Mapping[str, str] | None = None,
        context: Mapping[str, str] | None = None,
    ) -> None:
        self.argv = tuple(argv)
        self.context = dict(context or {})
        """Variables every run gets besides its event's (``run_context``: which
        profile and server the event is from)."""
        self.timeout = timeout
        self.max_queued = max_queued
        self.report: Callable[[str], None] = lambda message: None
        """Told one line for each hook that failed, and for each burst dropped."""
        self.dropped = 0
        """Events dropped since start because too many were waiting."""
        self.runs = 0
        """Hooks started since start."""
        self._secret = secret
        self._secrets = tuple(secrets)
        self._secret_names = tuple(secret_names)
        self._environ = environ
        self._queue: deque[BatchEvent] = deque()
        self._dropped_unreported = 0
        self._task: asyncio.Task[None] | None = None
        self._process: asyncio.subprocess.Process | None = None

    @property
    def name(self) -> str:
        """The hook's program, as messages name it."""
        return clean(os.path.basename(self.argv[0]) if self.argv else "hook", max_chars=60)

    def submit(self, events: Iterable[BatchEvent]) -> None:
        """Queue a run for each event; call from the event loop."""
        for event in events:
            if len(self._queue) >= self.max_queued:
                self.dropped += 1
                self._dropped_unreported += 1
                continue
            self._queue.append(event)
        if self._queue and (self._task is None or self._task.done()):
            self._task = asyncio.get_running_loop().create_task(self._drain())

    async def _drain(self) -> None:
        while self._queue:
            event = self._queue.popleft()
            problem = await self.run(event)
            if problem:
                self.report(problem)
        if self._dropped_unreported:
            skipped, self._dropped_unreported = self._dropped_unreported, 0
            self.report(
                f"hook {self.name}: {skipped} events skipped (more than "
                f"{self.max_queued} were waiting at once)"
            )

    async def run(self, event: BatchEvent) -> str | None:
        """Run the hook once for ``event``; returns what went wrong, if anything."""
        what = f"{event.kind} {clean(event.batch_id, max_chars=60)}"
        environ = os.environ if self._environ is None else self._environ
        self.runs += 1
        env = hook_environment(
            event, environ, self._secret, secrets=self._secrets, secret_names=self._secret_names
        )
        # Our own pipe rather than asyncio's: asyncio's ``wait()`` returns only once
        # every pipe is closed, so a background child holding stderr would hold us.
        read_end, write_end = os.pipe()
        try:
            process = await asyncio.create_subprocess_exec(
                *self.argv,
                env={**env, **self.context},
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.DEVNULL,  # never onto the dashboard's screen
                stderr=write_end,
                start_new_session=True,  # its own process group, killed as one on timeout
            )
        except FileNotFoundError:
            os.close(read_end)
            return f"hook {self.name}: program not found ({what})"
        except OSError as exc:
            os.close(read_end)
            return f"hook {self.name}: cannot start: {clean(exc.strerror or exc)} ({what})"
        finally:
            os.close(write_end)
        self._process = process
        stderr = _StderrTail(read_end)
        try:
            await asyncio.wait_for(process.wait(), self.timeout)
        except TimeoutError:
            self._kill(process)
            await process.wait()
            waited = duration_of(self.timeout)
            return f"hook {self.name}: still running after {waited}, stopped ({what})"
        finally:
            self._process = None
            tail = await stderr.finish(STDERR_GRACE)
        if process.returncode:
            lines = tail.decode("utf-8", "replace").strip().splitlines()
            detail = f": {clean(lines[-1], max_chars=200)}" if lines else ""
            return f"hook {self.name}: exit status {process.returncode} ({what}){detail}"
        return None

    @staticmethod
    def _kill(process: asyncio.subprocess.Process) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)

    def close(self) -> None:
        """Stop: waiting events are dropped and a running hook is killed."""
        self._queue.clear()
        if self._process is not None and self._process.returncode is None:
            self._kill(self._process)
        if self._task is not None:
            self._task.cancel()
