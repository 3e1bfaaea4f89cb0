"""A small asyncio HTTP/1.1 server on loopback for crawling tests and the benchmark.

Each simulated site has its own 127.x.y.z address (every address of 127/8 answers on `lo`), so the
crawler's per-host limits see real distinct hosts. Routes can hang, trickle, reset, return 5xx,
redirect in loops, serve huge or gzip bodies or any charset, and wait a fixed delay before answering
(government sites are slow: the benchmark uses 100-300 ms).
"""

from __future__ import annotations

import asyncio
import gzip
import socket
import ssl
import threading
from dataclasses import dataclass, field


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0
    mode: str = "normal"  # normal | hang | reset | trickle | huge
    gzip: bool = False
    huge_bytes: int = 0


@dataclass
class Site:
    routes: dict[str, Route] = field(default_factory=dict)  # path (with query) -> route
    hits: list[str] = field(default_factory=list)

    def add(self, path: str, body: str | bytes = b"", **kw) -> Site:
        self.routes[path] = Route(body.encode() if isinstance(body, str) else body, **kw)
        return self


def _free_port(host: str) -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


_REASONS = {
    200: "OK",
    301: "Moved Permanently",
    302: "Found",
    404: "Not Found",
    500: "Internal Server Error",
    503: "Service Unavailable",
    429: "Too Many Requests",
    502: "Bad Gateway",
}


class WebServer:
    """Serve `sites` (address -> Site) on one port across many loopback addresses."""

    def __init__(
        self,
        sites: dict[str, Site],
        port: int = 0,
        tls: ssl.SSLContext | None = None,
        vhosts: dict[str, Site] | None = None,
    ) -> None:
        self.sites = sites
        # Name-based virtual hosts, as on a shared server: the Host header picks the site; a name not
        # listed falls back to the address's site.
        self.vhosts = vhosts or {}
        self.port = port
        self.tls = tls  # serve https with this context
        self._server: asyncio.base_events.Server | None = None
        self.requests = 0
        self.missing_delay_s = lambda: 0.0  # how long a 404 takes (the benchmark makes them slow too)
        self.in_flight: dict[str, int] = {}
        self.max_in_flight: dict[str, int] = {}  # per host: shows the crawler's politeness

    async def start(self) -> None:
        hosts = sorted(self.sites) or ["127.0.0.1"]
        for _attempt in range(20):
            port = self.port or _free_port(hosts[0])
            try:
                # One port on every site's address: URLs differ only by host, as real sites do.
                self._server = await asyncio.start_server(
                    self._handle, host=hosts, port=port, backlog=4096, ssl=self.tls
                )
            except OSError:
                if self.port:
                    raise
                continue
            self.port = port
            return
        raise OSError("no free port for the test web server")

    async def stop(self) -> None:
        if self._server:
            self._server.close()

    def url(self, host: str, path: str = "/") -> str:
        return f"{'https' if self.tls else 'http'}://{host}:{self.port}{path}"

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        host = writer.get_extra_info("sockname")[0]
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                _method, target, _ = lines[0].split(" ", 2)
                headers = {
                    k.strip().lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines[1:] if ln)
                }
                self.requests += 1
                self.in_flight[host] = self.in_flight.get(host, 0) + 1
                self.max_in_flight[host] = max(self.max_in_flight.get(host, 0), self.in_flight[host])
                name = headers.get("host", "").rsplit(":", 1)[0].lower()
                site = self.vhosts.get(name) or self.sites.get(host)
                if site is not None:
                    site.hits.append(target)
                route = site.routes.get(target) if site else None
                if route is None and site and "?" in target:
                    route = site.routes.get(target.split("?", 1)[0] + "?*")
                route = route or Route(
                    b"<html><title>404</title><body>tidak ditemukan</body></html>",
                    404,
                    delay_s=self.missing_delay_s(),
                )
                try:
                    if not await self._respond(route, headers, writer):
                        return
                finally:
                    self.in_flight[host] -= 1
                if headers.get("connection", "").lower() == "close":
                    return
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError, ValueError):
            return
        finally:
            writer.close()

    async def _respond(self, route: Route, headers: dict[str, str], writer: asyncio.StreamWriter) -> bool:
        if route.delay_s:
            await asyncio.sleep(route.delay_s)
        if route.mode == "hang":
            await asyncio.sleep(3600)
        if route.mode == "reset":
            writer.transport.abort()
            return False
        body = route.body
        extra = dict(route.headers)
        if route.gzip and "gzip" in headers.get("accept-encoding", ""):
            body = gzip.compress(body)
            extra["Content-Encoding"] = "gzip"
        length = route.huge_bytes if route.mode == "huge" else len(body)
        head = [f"HTTP/1.1 {route.status} {_REASONS.get(route.status, 'X')}", f"Content-Length: {length}"]
        if route.content_type:
            head.append(f"Content-Type: {route.content_type}")
        head += [f"{k}: {v}" for k, v in extra.items()]
        writer.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1"))
        if route.mode == "huge":
            writer.write(body)  # the real page first, then padding up to huge_bytes
            chunk = (b"<p>" + b"isi halaman sangat besar " * 40 + b"</p>\n") * 64
            sent = len(body)
            while sent < length:
                piece = chunk[: length - sent]
                writer.write(piece)
                sent += len(piece)
                await writer.drain()
            return True
        if route.mode == "trickle":
            for i in range(len(body)):
                writer.write(body[i : i + 1])
                await writer.drain()
                await asyncio.sleep(0.5)
            return True
        writer.write(body)
        await writer.drain()
        return True


class ThreadedWebServer:
    """The server on its own event loop in a thread, for tests whose crawler runs in asyncio.run."""

    def __init__(
        self, sites: dict[str, Site], tls: ssl.SSLContext | None = None, vhosts: dict[str, Site] | None = None
    ) -> None:
        self.server = WebServer(sites, tls=tls, vhosts=vhosts)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    async def _shutdown(self) -> None:
        await self.server.stop()
        # Connections still open (a hanging route) end with the test, not with the interpreter.
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def __enter__(self) -> WebServer:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self.server.start(), self._loop).result(10)
        return self.server

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
