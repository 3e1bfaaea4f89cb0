"""`Server-Timing` on every console response: the request's time in the console, and how much of it
was the ledger's SQL (statements and their count).

An office's admin sees it in the browser's developer tools (Network -> Timing) when a page is slow,
and tells at a glance whether the ledger or the console is the slow part; the console benchmark
(tests/bench/bench_console.py) reads the same figure, so the page times it prints are the server's
own, without the test client's cost. The figures are this request's only (a context variable the
page's worker thread inherits), measured by the engine's cursor events.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass
from time import perf_counter
from typing import Any

from sqlalchemy import Engine, event
from starlette.types import ASGIApp, Message, Receive, Scope, Send

HEADER = b"server-timing"


@dataclass
class Timing:
    started: float
    db_s: float = 0.0
    queries: int = 0

    def header(self, now: float) -> bytes:
        total_ms = (now - self.started) * 1000
        db_ms = self.db_s * 1000
        return (
            f'db;dur={db_ms:.2f};desc="{self.queries} SQL", app;dur={total_ms - db_ms:.2f}, '
            f"total;dur={total_ms:.2f}"
        ).encode()


_current: ContextVar[Timing | None] = ContextVar("sigap_console_timing", default=None)


def watch(engine: Engine) -> None:
    """Count the engine's statements toward the request that runs them (once per engine)."""
    if event.contains(engine, "before_cursor_execute", _before):
        return
    event.listen(engine, "before_cursor_execute", _before)
    event.listen(engine, "after_cursor_execute", _after)


def _before(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
    if _current.get() is not None:
        conn.info["sigap_timing"] = perf_counter()  # one statement at a time on a connection


def _after(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
    timing = _current.get()
    started = conn.info.pop("sigap_timing", None)
    if timing is not None and started is not None:
        timing.db_s += perf_counter() - started
        timing.queries += 1


class ServerTiming:
    """The ASGI middleware: starts the request's Timing, writes the header when the response starts
    (a page is rendered whole before it is sent, so that is its server time)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        timing = Timing(perf_counter())
        token = _current.set(timing)

        async def timed(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (HEADER, timing.header(perf_counter()))]
            await send(message)

        try:
            await self.app(scope, receive, timed)
        finally:
            _current.reset(token)
