"""/healthz, /metrics and the web console over HTTP, for systemd's neighbours and the office's people.

uvicorn in a thread of its own with an event loop of its own, so neither a slow database answer to
/healthz nor a console page ever stalls the scheduler's loop, and a busy scheduler cannot make
/metrics time out. Every endpoint that reads the ledger is a plain function Starlette runs in its
threadpool, off the HTTP loop too. The thread reads what the scheduler's loop publishes in
`HealthState`, a snapshot replaced whole. The socket is bound before the thread starts, so a port in
use is the caller's one-line error and systemd hears READY only once it listens.
"""

from __future__ import annotations

import asyncio
import errno
import json
import logging
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import Engine, text
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.types import ASGIApp

from .metrics import ServiceMetrics

log = logging.getLogger("sigap.service")

# The loop ticks every second; three missed ticks and the scheduler counts as stuck.
STALE_AFTER_S = 30.0


@dataclass
class HealthState:
    """What the loop publishes for the HTTP thread: replaced, never mutated in place."""

    started_at: float = field(default_factory=time.time)
    heartbeat: float = 0.0
    scheduler_running: bool = False
    leader: bool = False
    probe: str | None = None
    jobs: list[dict[str, Any]] = field(default_factory=list)
    ledger_problem: str | None = None  # the SQLite file was deleted or replaced under the service
    write_problem: str | None = None  # the ledger refuses writes (disk full): runs wait in memory


def db_reachable(engine: Engine) -> tuple[bool, str | None]:
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:
        return False, type(exc).__name__
    return True, None


def health_report(state: HealthState, engine: Engine, now: float) -> tuple[bool, dict[str, Any]]:
    db_ok, db_error = db_reachable(engine)
    if state.ledger_problem:  # the connection still answers, from a file nobody will ever read again
        db_ok, db_error = False, state.ledger_problem
    elif state.write_problem:  # reads still work; nothing measured can be recorded
        db_ok, db_error = False, state.write_problem
    age = now - state.heartbeat if state.heartbeat else None
    alive = state.scheduler_running and age is not None and age < STALE_AFTER_S
    report = {
        "status": "ok" if alive and db_ok else "fail",
        "scheduler": {
            "running": state.scheduler_running,
            "heartbeat_age_s": None if age is None else round(age, 1),
        },
        "database": {"reachable": db_ok, **({"error": db_error} if db_error else {})},
        "leader": state.leader,
        "probe": state.probe,
        "uptime_s": round(now - state.started_at, 1),
        "jobs": state.jobs,
    }
    return alive and db_ok, report


NOT_FOUND = "not found: try /healthz or /metrics\n"
STOP_WAIT_S = 5.0


def make_app(
    get_state: Callable[[], HealthState],
    engine: Engine,
    metrics: ServiceMetrics,
    console: ASGIApp | None = None,
) -> ASGIApp:
    """/healthz (/health) and /metrics, and the console under / when it is enabled."""

    def metrics_page(request: Request) -> Response:
        metrics.heartbeat.set(get_state().heartbeat)
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    def health_page(request: Request) -> Response:
        ok, report = health_report(get_state(), engine, time.time())
        body = json.dumps(report, ensure_ascii=False, default=str).encode()
        return Response(body, status_code=200 if ok else 503, media_type="application/json")

    routes: list[Any] = [
        Route("/metrics", metrics_page, methods=["GET", "HEAD"]),
        Route("/healthz", health_page, methods=["GET", "HEAD"]),
        Route("/health", health_page, methods=["GET", "HEAD"]),
    ]
    if console is not None:
        routes.append(Mount("", app=console))
        return Starlette(routes=routes)

    async def not_found(request: Request, exc: Exception) -> Response:
        status = getattr(exc, "status_code", 404)
        if status == 405:
            return PlainTextResponse("", status_code=405, headers={"Allow": "GET, HEAD"})
        return PlainTextResponse(NOT_FOUND, status_code=404)

    return Starlette(routes=routes, exception_handlers={404: not_found, 405: not_found})


# A console left by a service killed with SIGKILL gets its parent-death SIGTERM at once, but it runs
# niced and shuts uvicorn down gracefully: on a busy machine it can hold http.listen for a few
# seconds after its parent is gone. A restart waits that long before calling the port taken.
BIND_WAIT_S = 10.0
BIND_RETRY_S = 0.25


def bound_socket_waiting(host: str, port: int, wait_s: float = BIND_WAIT_S) -> socket.socket:
    """bound_socket, trying again for up to `wait_s` while the address is in use (said once in the
    log); any other error, or a port still taken after the wait, is the OSError."""
    deadline = time.monotonic() + wait_s
    said = False
    while True:
        try:
            return bound_socket(host, port)
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE or time.monotonic() >= deadline:
                raise
            if not said:
                log.warning(
                    "http.listen in use, waiting up to %.0f s address=%s:%s "
                    "(a console of a killed service may still be closing)",
                    wait_s,
                    host,
                    port,
                )
                said = True
            time.sleep(BIND_RETRY_S)


def bound_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    sock.setblocking(False)
    return sock


class HttpEndpoint:
    """uvicorn serving `app` on (host, port) from its own thread and its own event loop."""

    def __init__(
        self, address: tuple[str, int] | None, app: ASGIApp, sock: socket.socket | None = None
    ) -> None:
        import uvicorn

        if sock is None:
            assert address is not None
            sock = bound_socket(*address)
        self.socket = sock
        config = uvicorn.Config(
            app,
            log_config=None,
            access_log=False,
            lifespan="off",
            proxy_headers=False,  # X-Forwarded-* are believed only from console.trusted_proxies
            server_header=False,
            http="h11",
            ws="none",
            loop="asyncio",
            timeout_keep_alive=5,
            timeout_graceful_shutdown=2,
        )
        # uvicorn says "Started server process" and the like at INFO: the service logs its own line.
        logging.getLogger("uvicorn.error").setLevel(logging.WARNING)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self._run, name="sigap-http", daemon=True)

    @classmethod
    def on_socket(cls, sock: socket.socket, app: ASGIApp) -> HttpEndpoint:
        """Serve on a socket bound elsewhere: the console's child on the parent's http.listen, the
        parent's /healthz and /metrics on a Unix socket."""
        return cls(None, app, sock)

    def _run(self) -> None:
        # uvicorn installs no signal handlers outside the main thread: SIGTERM stays the service's.
        asyncio.run(self.server.serve(sockets=[self.socket]))

    @property
    def port(self) -> int:
        return self.socket.getsockname()[1]

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.server.should_exit = True
        if self.thread.is_alive():
            self.thread.join(STOP_WAIT_S)
        self.socket.close()
