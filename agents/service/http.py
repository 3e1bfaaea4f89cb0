"""/healthz and /metrics over HTTP, for systemd's neighbours: a load balancer, Prometheus, an operator's curl.

The standard library's WSGI server in a thread of its own (as prometheus_client's own exporter does),
so a slow database answer to /healthz never stalls the scheduler's loop, and a busy loop cannot make
/metrics time out. The thread reads what the loop publishes in `HealthState`, a snapshot replaced whole.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import Engine, text

from .metrics import ServiceMetrics

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


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True


class _V6Server(_Server):
    address_family = socket.AF_INET6


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # a scrape every 15 s is not an event
        pass


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


def make_app(get_state: Callable[[], HealthState], engine: Engine, metrics: ServiceMetrics) -> Callable:
    def app(environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
            start_response("405 Method Not Allowed", [("Allow", "GET, HEAD")])
            return [b""]
        if path == "/metrics":
            metrics.heartbeat.set(get_state().heartbeat)
            body = generate_latest(metrics.registry)
            start_response("200 OK", [("Content-Type", CONTENT_TYPE_LATEST)])
            return [body]
        if path in ("/healthz", "/health"):
            ok, report = health_report(get_state(), engine, time.time())
            body = json.dumps(report, ensure_ascii=False, default=str).encode()
            start_response(
                "200 OK" if ok else "503 Service Unavailable", [("Content-Type", "application/json")]
            )
            return [body]
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found: try /healthz or /metrics\n"]

    return app


class HttpEndpoint:
    def __init__(self, address: tuple[str, int], app: Callable) -> None:
        host, port = address
        server_class = _V6Server if ":" in host else _Server
        self.server = make_server(host, port, app, server_class=server_class, handler_class=_QuietHandler)
        self.thread = threading.Thread(target=self.server.serve_forever, name="sigap-http", daemon=True)

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
