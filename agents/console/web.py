"""What every console page shares: the request's person, its language, CSRF, errors, rendering.

Pages are plain functions `handler(ctx) -> Response` run in the threadpool (ledger queries and
argon2 never block the HTTP thread's loop; the scheduler has a loop of its own anyway). `page()`
wraps one: it reads a POST's form first (async), then in the thread opens one ledger session, finds
the person from the signed session cookie, checks the form's CSRF token, calls the handler and
commits. A thing the person may not see raises `NotFound`, an action it may not take `Forbidden`.
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import logging
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any
from urllib.parse import quote, urlencode

import anyio
import anyio.to_thread
from itsdangerous import BadSignature, Signer
from jinja2 import Environment
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from reports.fmt import Formatter
from sop_registry.errors import InputError
from sop_registry.loader import Registry

from ..config import Config
from ..notify.contacts import Directory
from . import accounts, permissions
from .recaps import Recaps
from .texts import LANGS, text

log = logging.getLogger("sigap.console")

SESSION_COOKIE = "sigap_session"
LOGIN_COOKIE = "sigap_login"  # the login form's CSRF token, before there is a session
LANG_COOKIE = "sigap_lang"
MAX_FIELDS = 40
MAX_PART = 64 * 1024


class NotFound(Exception):
    """Not there, or not for this person (an OPD admin asking for another OPD's case)."""


class Forbidden(Exception):
    """There and visible, but this role may not do it."""


class Conflict(Exception):
    """The move does not apply now (acknowledging a closed case, approving a week twice)."""


@dataclass(frozen=True)
class Viewer:
    user_id: int
    name: str
    display_name: str
    role: str
    opds: tuple[str, ...] = ()
    acts_as: tuple[str, ...] = ()
    csrf: str | None = None  # the session's token (None for an API token)
    token_scope: str | None = None  # read | write for an API token

    @classmethod
    def of(cls, user: Any, csrf: str | None = None, token_scope: str | None = None) -> Viewer:
        return cls(
            user.id,
            user.name,
            user.display_name,
            user.role,
            tuple(user.opds or ()),
            tuple(user.acts_as or ()),
            csrf,
            token_scope,
        )

    @cached_property
    def acting(self) -> frozenset[str]:
        """The pelaksana the user acts as, case-folded ("mine" on the case list)."""
        return frozenset(a.casefold() for a in self.acts_as)

    def can(self, action: str) -> bool:
        return permissions.allowed(self.role, action, self.token_scope)

    def require(self, action: str) -> None:
        if not self.can(action):
            raise Forbidden(action)

    def sees(self, opd: str | None) -> bool:
        return permissions.in_scope(self.role, self.opds, opd)


@dataclass
class Console:
    """The console's fixed parts for the service's life."""

    config: Config
    registry: Registry
    engine: Engine
    clock: Callable[[], datetime]
    signer: Signer
    templates: Environment
    timeouts: accounts.Timeouts
    throttle: accounts.Throttle
    trusted: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()
    directory: Directory = field(default_factory=Directory)
    site_limits: dict[str, Any] = field(default_factory=dict)  # site id -> its layered Thresholds
    public_status: Any = None  # status.PublicStatus: the public /status page (off unless configured)
    recaps: Recaps = field(default_factory=Recaps)  # the crawls' recaps, each parsed once
    step_facts: dict[tuple[str, int], Any] = field(default_factory=dict)  # queries._step_facts

    @property
    def default_lang(self) -> str:
        return self.config.console.language or self.config.office.language

    def formatter(self, lang: str) -> Formatter:
        office = self.config.office
        return Formatter(lang, office.zone, office.zone_label)


# --- who is asking, from where ------------------------------------------------------------------


def _from_proxy(request: Request, trusted: tuple) -> bool:
    host = request.client.host if request.client else None
    if not host or not trusted:
        return False
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return any(address in net for net in trusted)


def client_address(request: Request, trusted: tuple) -> str:
    """The peer, or behind a trusted proxy the nearest X-Forwarded-For hop that is not a proxy."""
    peer = request.client.host if request.client else "-"
    if not _from_proxy(request, trusted):
        return peer
    hops = [h.strip() for h in request.headers.get("x-forwarded-for", "").split(",") if h.strip()]
    for hop in reversed(hops):
        try:
            address = ipaddress.ip_address(hop)
        except ValueError:
            return peer  # a forged or garbled header: count the proxy itself
        if not any(address in net for net in trusted):
            return str(address)
    return peer


def over_tls(request: Request, trusted: tuple) -> bool:
    if request.url.scheme == "https":
        return True
    return _from_proxy(request, trusted) and request.headers.get("x-forwarded-proto", "").lower() == "https"


def request_lang(request: Request, console: Console) -> str:
    lang = request.cookies.get(LANG_COOKIE)
    return lang if lang in LANGS else console.default_lang


def safe_next(target: str | None, default: str = "/cases") -> str:
    """Only a path on this site: no scheme, no //host, no backslash tricks (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    if any(ord(c) < 32 for c in target):
        return default
    return target


def set_cookie(response: Response, request: Request, console: Console, name: str, value: str) -> None:
    response.set_cookie(
        name,
        value,
        httponly=True,
        samesite="lax",
        secure=over_tls(request, console.trusted),
        path="/",
    )


def session_viewer(console: Console, request: Request, db: Session) -> tuple[Viewer, str] | None:
    """The person behind the session cookie, and the session's raw id."""
    signed = request.cookies.get(SESSION_COOKIE)
    if not signed:
        return None
    try:
        raw = console.signer.unsign(signed).decode()
    except (BadSignature, UnicodeDecodeError):
        return None
    found = accounts.session_user(db, raw, console.clock(), console.timeouts)
    if found is None:
        return None
    row, user = found
    return Viewer.of(user, csrf=row.csrf_token), raw


def csrf_ok(expected: str | None, given: object) -> bool:
    return bool(expected) and isinstance(given, str) and hmac.compare_digest(expected, given)


# --- a page ----------------------------------------------------------------------------------------


def list_query(values: dict[str, Any]) -> str:
    """A list page's query string from its filters (and `page`): the ones unset, and page 1, left out,
    so the pager's links are the filters' own."""
    return urlencode({k: v for k, v in values.items() if v not in (None, "", 1)})


@dataclass(frozen=True)
class Pager:
    """A long list's page: `page` (1-based) of `pages`, `size` rows each; `href(k)` links page k."""

    page: int
    pages: int
    size: int
    href: Callable[[int], str]

    @classmethod
    def of(cls, params: Any, rows: int, size: int, href: Callable[[int], str]) -> Pager:
        """The query string's `page`, held to the pages there are; anything not a number is page 1."""
        pages = max(-(-rows // size), 1)
        raw = (params.get("page") or "").strip()
        number = int(raw) if raw.isdigit() and len(raw) <= 6 else 1
        return cls(min(max(number, 1), pages), pages, size, href)

    @property
    def first(self) -> int:
        return (self.page - 1) * self.size + 1

    def slice(self, rows: list) -> list:
        return rows[(self.page - 1) * self.size : self.page * self.size]


@dataclass
class Ctx:
    console: Console
    request: Request
    db: Session
    lang: str
    viewer: Viewer | None
    form: FormData | None = None
    session_raw: str | None = None

    def t(self, key: str, **values: Any) -> str:
        return text(self.lang, key, **values)

    def field(self, name: str, limit: int = 2000) -> str | None:
        value = self.form.get(name) if self.form is not None else None
        if value is None or not isinstance(value, str):
            return None
        value = value.strip().replace("\x00", "")
        if len(value) > limit:
            raise InputError(self.t("too_long", field=name, limit=limit))
        return value or None

    def render(self, template: str, status: int = 200, **values: Any) -> HTMLResponse:
        body = self.console.templates.get_template(template).render(
            t=self.t,
            fmt=self.console.formatter(self.lang),
            lang=self.lang,
            viewer=self.viewer,
            csrf=self.viewer.csrf if self.viewer else None,
            office=self.console.config.office,
            path=self.request.url.path,
            full_path=_full_path(self.request),
            **values,
        )
        return HTMLResponse(body, status_code=status, headers={"Cache-Control": "no-store"})

    def error(self, status: int, message_key: str, **values: Any) -> HTMLResponse:
        return self.render(
            "error.html", status=status, status_code=status, message=self.t(message_key, **values)
        )


def _full_path(request: Request) -> str:
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


async def read_form(request: Request) -> FormData | None:
    if request.method != "POST":
        return None
    try:
        return await request.form(max_files=0, max_fields=MAX_FIELDS, max_part_size=MAX_PART)
    except Exception:  # a malformed or oversized body: treated as a form without the CSRF token
        return FormData()


# Page handlers run in a few threads. While the console shared the scheduler's process every such
# thread contended for the GIL with the scheduler's loop, and one thread was the least bad (with 20
# clients: 40 threads held the loop up to 5 s, 1 thread 0.57 s). In its own process
# (agents/service/console_proc.py) the threads only share the console's GIL: a quick page no longer
# waits behind a report-sized one (Ringkasan, Tautan: 0.5-0.7 s each), and SQLite reads run
# in parallel on the cores, the GIL released (tests/bench/bench_console.py). A slow handler that mostly
# waits on the network ("Periksa sekarang") has a lane of its own, so it never holds the pages up.
PAGE_THREADS = 4
SLOW_THREADS = 2
# One set per event loop (uvicorn's thread has one; tests start several): a limiter's waiters belong
# to the loop they wait in.
_limiters: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, anyio.CapacityLimiter]] = (
    weakref.WeakKeyDictionary()
)


def _page_limiter(lane: str = "pages") -> anyio.CapacityLimiter:
    lanes = _limiters.setdefault(asyncio.get_running_loop(), {})
    if lane not in lanes:
        lanes[lane] = anyio.CapacityLimiter(PAGE_THREADS if lane == "pages" else SLOW_THREADS)
    return lanes[lane]


def page(handler: Callable[[Ctx], Response], *, public: bool = False, slow: bool = False) -> Callable:
    """A console endpoint: login required (unless `public`), CSRF on every POST, one ledger session.
    `slow`: a handler that waits on the network, in its own lane of threads."""

    async def endpoint(request: Request) -> Response:
        form = await read_form(request)
        limiter = _page_limiter("slow" if slow else "pages")
        return await anyio.to_thread.run_sync(_handle, handler, request, form, public, limiter=limiter)

    endpoint.__name__ = handler.__name__
    return endpoint


def _handle(
    handler: Callable[[Ctx], Response], request: Request, form: FormData | None, public: bool
) -> Response:
    console: Console = request.app.state.console
    lang = request_lang(request, console)
    with Session(console.engine, expire_on_commit=False) as db:
        found = session_viewer(console, request, db)
        # The session's touch (once a minute) is a write: commit it now, so that SQLite's one write
        # lock is not held for the whole page while the scheduler waits to record a run.
        db.commit()
        viewer, raw = found if found else (None, None)
        ctx = Ctx(console, request, db, lang, viewer, form, raw)
        if viewer is None and not public:
            if request.method == "POST":
                return ctx.error(403, "session_expired")
            return RedirectResponse("/login?next=" + quote(_full_path(request), safe="/"), status_code=303)
        if request.method == "POST" and not public and not csrf_ok(viewer.csrf, form.get("csrf")):
            return ctx.error(403, "csrf_failed")
        try:
            response = handler(ctx)
            db.commit()
            return response
        except NotFound:
            db.rollback()
            return ctx.error(404, "not_found")
        except Forbidden:
            db.rollback()
            return ctx.error(403, "forbidden")
        except (Conflict, InputError) as exc:
            db.rollback()
            return ctx.error(409, "conflict", detail=str(exc))
