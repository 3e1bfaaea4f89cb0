"""`sigap demo`'s sample OPD sites: small static sites bundled with the package, served on loopback.

A page's dates are written relative to the day it is served (`@@ISO:n@@` is n days ago as ISO 8601
in WITA, `@@ID:n@@` the same day in Indonesian words), so a "fresh" site stays fresh whatever day the
demo runs. A site listed in `DOWN` answers 503 to everything.
"""

from __future__ import annotations

import re
import threading
from datetime import date, datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path

# id -> (OPD, what the demo shows)
SITES = {
    "dinkes": ("Dinas Kesehatan", "fresh"),
    "disdik": ("Dinas Pendidikan", "less active"),
    "dishub": ("Dinas Perhubungan", "stale"),
    "bappeda": ("Bappeda", "down"),
}
DOWN = frozenset({"bappeda"})
WITA = timezone(timedelta(hours=8))
MONTHS = ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September",
          "Oktober", "November", "Desember")  # fmt: skip
_MARK = re.compile(r"@@(ISO|ID|RFC):(\d{1,3})@@")
_RFC_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_RFC_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def site_root() -> Path:
    return Path(str(resources.files(__name__) / "sites"))


def render(text: str, today: date) -> str:
    def one(match: re.Match[str]) -> str:
        day = today - timedelta(days=int(match.group(2)))
        if match.group(1) == "ISO":
            return datetime(day.year, day.month, day.day, 9, 0, tzinfo=WITA).isoformat()
        if match.group(1) == "RFC":  # RSS pubDate
            weekday, month = _RFC_DAYS[day.weekday()], _RFC_MONTHS[day.month - 1]
            return f"{weekday}, {day.day:02d} {month} {day.year} 09:00:00 +0800"
        return f"{day.day} {MONTHS[day.month - 1]} {day.year}"

    return _MARK.sub(one, text)


class _Handler(BaseHTTPRequestHandler):
    server_version = "SigapDemo/1"
    root: Path = Path()

    def log_message(self, *args: object) -> None:  # quiet: the demo prints its own lines
        return

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path == "/robots.txt":
            return self._send(200, "User-agent: *\nAllow: /\n", "text/plain")
        parts = [p for p in path.split("/") if p]
        if not parts or parts[0] not in SITES:
            return self._send(404, "<h1>404</h1>")
        if parts[0] in DOWN:
            return self._send(503, "<h1>503 Service Unavailable</h1>")
        if any(p in ("..", ".") or "\\" in p for p in parts):
            return self._send(404, "<h1>404</h1>")
        file = self.root.joinpath(*parts)
        if file.is_dir():
            file = file / "index.html"
        if not file.is_file():
            return self._send(404, "<h1>404</h1>")
        kind = "application/rss+xml" if file.suffix == ".xml" else "text/html; charset=utf-8"
        self._send(200, render(file.read_text(encoding="utf-8"), datetime.now(WITA).date()), kind)

    def _send(self, status: int, body: str, kind: str = "text/html; charset=utf-8") -> None:
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class DemoSites:
    """The sample sites on http://127.0.0.1:<port>/<id>/ in a thread of their own."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        handler = type("Handler", (_Handler,), {"root": site_root()})
        self.server = ThreadingHTTPServer((host, port), handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, name="sigap-demo-sites", daemon=True)

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    def url(self, site: str) -> str:
        return f"http://127.0.0.1:{self.port}/{site}/"

    def start(self) -> DemoSites:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
