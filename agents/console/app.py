"""The console as one ASGI application: pages, the API under /api/v1, htmx and the stylesheet.

`sigap serve` mounts it beside /healthz and /metrics on http.listen (agents/service/http.py). Every
response carries the security headers: a CSP that allows no inline script and no other origin
(htmx is served by Sigap itself: offices may be air-gapped), frame-ancestors 'none', nosniff, and a
Referrer-Policy that keeps the console's paths out of the sites an officer follows a link to.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from itsdangerous import Signer
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from sqlalchemy import Engine
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sop_registry.errors import InputError
from sop_registry.loader import Registry

from ..chat import routes as chat_routes
from ..config import Config
from ..notify.contacts import Directory
from . import accounts, api, sites, status, timing
from .pages import admin, auth, cases, home, reports
from .pages import dnstls as dnstls_pages
from .pages import links as link_pages
from .pages import sites as site_pages
from .pages import sop as sop_pages
from .pages import status as status_page
from .texts import text
from .web import Console, request_lang

HERE = Path(__file__).parent
KEY_FILE = "console.key"

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]


class SecurityHeaders:
    """Adds the headers to every response; a response with a CSP of its own (the stored report's,
    sandboxed) keeps it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {name.lower() for name, _ in headers}
                if b"content-security-policy" not in names:
                    headers.append((b"content-security-policy", CSP.encode()))
                headers += [(n, v) for n, v in SECURITY_HEADERS if n not in names]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)


def secret_key(config: Config) -> bytes:
    """console.secret_key, else a random key kept in the state directory (made once, 0600)."""
    if config.console.secret_key is not None:
        return config.console.secret_key.get_secret_value().encode()
    path = config.resolved_state_dir / KEY_FILE
    try:
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(48))
        key = path.read_text().strip()
    except OSError as exc:
        raise InputError(
            f"{path}: cannot keep the console's session key ({exc.strerror or exc}); "
            "set console.secret_key or make the state directory writable"
        ) from None
    if len(key) < 32:
        raise InputError(f"{path}: the console's session key is too short; remove the file to make a new one")
    return key.encode()


def templates() -> Environment:
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env


def _utc_now() -> datetime:
    return datetime.now(UTC)


def make_console(
    config: Config,
    registry: Registry,
    engine: Engine,
    clock: Callable[[], datetime] = _utc_now,
    public_status: object = None,
) -> Console:
    settings = config.console
    trusted = tuple(ipaddress.ip_network(n) for n in settings.trusted_proxies)
    # console.public_status (true, or a mapping); `public_status` here overrides it (tests, the demo)
    shown = status.settings_of(
        public_status if public_status is not None else getattr(settings, "public_status", None)
    )
    try:
        status.check_targets(shown, config)
    except ValueError as exc:
        raise InputError(str(exc)) from None
    return Console(
        config=config,
        registry=registry,
        engine=engine,
        clock=clock,
        signer=Signer(secret_key(config), salt="sigap-console-session"),
        templates=templates(),
        timeouts=accounts.timeouts_of(settings),
        throttle=accounts.throttle_of(settings),
        trusted=trusted,
        directory=Directory.of(config),
        site_limits=sites.web_thresholds(config, registry),
        public_status=shown,
    )


def _error_page(request: Request, exc: Exception) -> Response:
    """The router's own 404/405 (no such page), as a page in the person's language."""
    status = getattr(exc, "status_code", 500)
    console: Console = request.app.state.console
    if request.url.path.startswith("/api/"):
        return api.error(status, "not found" if status == 404 else "method not allowed")
    lang = request_lang(request, console)
    body = console.templates.get_template("error.html").render(
        t=lambda key, **kw: text(lang, key, **kw),
        lang=lang,
        viewer=None,
        csrf=None,
        status_code=status,
        message=text(lang, "not_found" if status == 404 else "forbidden"),
        office=console.config.office,
        path=request.url.path,
        full_path=request.url.path,
    )
    return HTMLResponse(body, status_code=status)


def build_console(
    config: Config,
    registry: Registry,
    engine: Engine,
    clock: Callable[[], datetime] = _utc_now,
    public_status: object = None,
) -> ASGIApp:
    console = make_console(config, registry, engine, clock, public_status)
    app = Starlette(
        routes=[
            *auth.ROUTES,
            *home.ROUTES,
            *cases.ROUTES,
            *site_pages.ROUTES,
            *link_pages.ROUTES,
            *dnstls_pages.ROUTES,
            *sop_pages.ROUTES,
            *admin.ROUTES,
            *status_page.ROUTES,
            *reports.ROUTES,
            Mount("/api/v1", routes=api.ROUTES),
            Mount("/chat", routes=chat_routes.ROUTES),  # Telegram's and the WhatsApp gateway's webhooks
            Mount("/static", app=StaticFiles(directory=HERE / "static"), name="static"),
        ],
        exception_handlers={HTTPException: _error_page},
    )
    app.state.console = console
    timing.watch(engine)
    return timing.ServerTiming(SecurityHeaders(app))
