"""The web console in a child process of `sigap serve`, so people browsing it never slow the scheduler.

Measured (tests/bench/bench_console.py): with the console on a thread of the scheduler's process,
twenty people browsing put the scheduler's loop 240-530 ms behind and a link round at 1.6x its pace,
whatever the threads were tuned to — the pages are Python, and Python has one GIL a process. In its
own process the console has its own GIL, and it runs at a lower CPU priority (`NICE`): on a busy
machine a page waits a little, a link round does not.

The parent binds http.listen (a port in use stays the service's one-line error, and systemd hears
READY only once it listens) and hands the socket to the child, which serves everything on it. The
scheduler's /healthz and /metrics stay answered by the parent, from a thread of its own, on a Unix
socket in a private directory; the child forwards those paths there, so they report the scheduler,
not the console. A child that dies is started again (the socket stays open in the parent, so
connections wait in its backlog meanwhile); one that cannot start at all (the console's key cannot
be kept) is the service's one-line error at start.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import multiprocessing
import os
import shutil
import signal
import socket
import tempfile
import time
from pathlib import Path
from typing import Any

log = logging.getLogger("sigap.service")

NICE = 10  # the console's niceness above the scheduler's: pages yield the CPU to SOP runs
START_TIMEOUT_S = 60.0  # a fresh interpreter importing Starlette, Jinja2 and the ledger
STOP_WAIT_S = 5.0
RESTART_BACKOFF_S = (1.0, 2.0, 5.0, 10.0, 30.0, 60.0)
STEADY_S = 300.0
HEALTH_PATHS = ("/healthz", "/health", "/metrics")
PR_SET_PDEATHSIG = 1


class ConsoleStartFailed(Exception):
    """The child said why it cannot serve (e.g. `state_dir/console.key: ...`): an input error."""


def health_socket() -> tuple[socket.socket, Path]:
    """A listening Unix socket in a new 0700 directory: only this service's user reaches it."""
    where = Path(tempfile.mkdtemp(prefix="sigap-http-"))
    path = where / "health.sock"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.bind(str(path))
        sock.listen(64)
    except OSError:
        sock.close()
        shutil.rmtree(where, ignore_errors=True)
        raise
    sock.setblocking(False)
    return sock, path


class ConsoleProcess:
    """The console's child: started, watched, started again when it dies, stopped with the service."""

    def __init__(
        self,
        listen: socket.socket,
        health_path: Path,
        config: Any,
        registry: Any,
        database_url: str,
        secrets: set[str],
        clock: Any = None,
    ) -> None:
        self.listen = listen
        self.health_path = health_path
        # Pickled into the child: the config, the registry and the clock (a module-level function or
        # a picklable object; the service's own is datetime.now(UTC)).
        self.args = (config, registry, database_url, sorted(secrets), logging.getLogger().level, clock)
        self.context = multiprocessing.get_context("spawn")  # no fork: the service has threads
        self.process: Any = None
        self.restarts = 0
        self.next_start = 0.0
        self.stopping = False
        self.pending: Any = None  # the pipe a started child answers on, until it has
        self.spawned_at = 0.0

    def start(self, timeout_s: float = START_TIMEOUT_S) -> None:
        """Start the child and wait until it serves; ConsoleStartFailed with its reason if it cannot.
        Call from the main thread: the child's parent-death signal follows the thread that made it."""
        self._spawn()
        if not self.pending.poll(timeout_s):
            self.pending.close()
            self.pending = None
            self._kill()
            raise ConsoleStartFailed(f"the console did not start within {timeout_s:.0f} s")
        self._heard()

    def _spawn(self) -> None:
        receive, send = self.context.Pipe(duplex=False)
        self.process = self.context.Process(
            target=child_main,
            args=(self.listen, str(self.health_path), send, os.getpid(), *self.args),
            name="sigap-console",
            daemon=True,
        )
        self.process.start()
        send.close()
        self.pending = receive
        self.spawned_at = time.monotonic()

    def _heard(self) -> None:
        """The child's first word: ready, or why it cannot serve."""
        receive, self.pending = self.pending, None
        try:
            what, detail = receive.recv()
        except EOFError:
            self.process.join(STOP_WAIT_S)
            raise ConsoleStartFailed(f"the console exited at start (code {self.process.exitcode})") from None
        finally:
            receive.close()
        if what != "ready":
            self.process.join(STOP_WAIT_S)
            raise ConsoleStartFailed(detail)
        log.info("console process started pid=%s", self.process.pid)

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    def watch(self, now: float) -> None:
        """Called every second from the service's loop, never blocking it: a dead child is logged and
        started again, backing off while it keeps dying (a broken ledger must not become a fork
        loop); a restarted child's first word is read once it has come."""
        if self.stopping or self.process is None:
            return
        if self.pending is not None:
            if self.pending.poll(0):
                try:
                    self._heard()
                except ConsoleStartFailed as exc:
                    log.error("console process did not start reason=%s", exc)
            elif now - self.spawned_at > START_TIMEOUT_S:
                self.pending.close()
                self.pending = None
                log.error("console process did not start reason=no answer within %.0f s", START_TIMEOUT_S)
                self._kill()
            return
        if self.process.is_alive():
            if self.restarts and now - self.spawned_at > STEADY_S:
                self.restarts = 0  # up for a while: a later death starts the backoff afresh
            return
        if self.next_start == 0.0:
            delay = RESTART_BACKOFF_S[min(self.restarts, len(RESTART_BACKOFF_S) - 1)]
            log.error("console process exited code=%s restart_in_s=%s", self.process.exitcode, delay)
            self.next_start = now + delay
            return
        if now < self.next_start:
            return
        self.next_start = 0.0
        self.restarts += 1
        self._spawn()

    def stop(self) -> None:
        self.stopping = True
        if self.pending is not None:
            self.pending.close()
        if self.process is not None and self.process.is_alive():
            self.process.terminate()
            self.process.join(STOP_WAIT_S)
            self._kill()
        self.listen.close()
        shutil.rmtree(self.health_path.parent, ignore_errors=True)

    def _kill(self) -> None:
        if self.process is not None and self.process.is_alive():
            self.process.kill()
            self.process.join(STOP_WAIT_S)


# --- the child ------------------------------------------------------------------------------------


def _die_with_parent() -> None:
    """SIGTERM when the parent dies, even by SIGKILL: an orphaned console must not hold the port."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)


def child_main(
    listen: socket.socket,
    health_path: str,
    report: Any,
    parent: int,
    config: Any,
    registry: Any,
    database_url: str,
    secrets: list[str],
    level: int,
    clock: Any = None,
) -> None:
    # Ctrl-C reaches the whole process group; the parent decides when the console stops.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # SIGTERM (the parent's stop, or its death by any signal) is taken by sigtimedwait below, not by
    # a handler: a handler setting a threading.Event can land while this thread holds the Event's
    # lock, and a console that never exits keeps http.listen from the next service. Blocked before
    # any thread starts, so every thread inherits the mask and the signal waits for this one.
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
    _die_with_parent()
    if os.getppid() != parent:  # the parent died before the death signal was asked for
        return

    from sop_registry.errors import InputError
    from sop_registry.ledger import connect

    from ..console.app import build_console
    from . import logs
    from .http import HttpEndpoint

    logs.setup(secrets, level=level)
    try:
        os.nice(NICE)
    except OSError as exc:  # a unit without setpriority in its SystemCallFilter
        log.warning("console priority unchanged reason=%s", exc.strerror or exc)
    engine = None
    try:
        engine = connect(database_url)
        console = build_console(config, registry, engine, *([clock] if clock is not None else []))
    except InputError as exc:
        report.send(("error", str(exc)))
        if engine is not None:
            engine.dispose()
        return
    endpoint = HttpEndpoint.on_socket(listen, with_health_forwarded(console, health_path))
    endpoint.start()
    report.send(("ready", None))
    report.close()
    try:
        while signal.sigtimedwait({signal.SIGTERM}, 1.0) is None:
            if os.getppid() != parent:  # the parent is gone and no death signal came (not Linux)
                break
    finally:
        endpoint.stop()
        engine.dispose()


def with_health_forwarded(console: Any, health_path: str) -> Any:
    """The console, with /healthz, /health and /metrics answered by the scheduler's process."""
    import httpx
    from starlette.requests import Request
    from starlette.responses import JSONResponse, Response

    holder: dict[str, httpx.AsyncClient] = {}

    def client() -> httpx.AsyncClient:
        # Made on first use, inside the HTTP thread's event loop that then owns it.
        if "c" not in holder:
            holder["c"] = httpx.AsyncClient(
                transport=httpx.AsyncHTTPTransport(uds=health_path), base_url="http://sigap", timeout=10
            )
        return holder["c"]

    async def forward(scope, receive, send) -> None:
        request = Request(scope, receive)
        try:
            reply = await client().request(request.method, scope["path"])
        except httpx.HTTPError as exc:
            body = {
                "status": "fail",
                "error": f"the scheduler's process does not answer: {type(exc).__name__}",
            }
            await JSONResponse(body, status_code=503)(scope, receive, send)
            return
        keep = {k: v for k, v in reply.headers.items() if k.lower() in ("content-type", "allow")}
        await Response(reply.content, status_code=reply.status_code, headers=keep)(scope, receive, send)

    async def app(scope, receive, send) -> None:
        if scope["type"] == "http" and scope["path"] in HEALTH_PATHS:
            await forward(scope, receive, send)
            return
        await console(scope, receive, send)

    return app
