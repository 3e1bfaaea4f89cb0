"""Login, logout and the language switch.

The login form carries a CSRF token before any session exists: a random value in a signed,
HttpOnly cookie and the same value in the form (a cross-site page can read neither). A login is
refused while the account or the address is locked out, before the password is looked at; a bad
password is counted; a good one starts a new server-side session (never one the browser brought).
"""

from __future__ import annotations

import secrets

from itsdangerous import BadSignature
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from .. import accounts
from ..texts import LANGS
from ..web import (
    LANG_COOKIE,
    LOGIN_COOKIE,
    SESSION_COOKIE,
    Console,
    Ctx,
    client_address,
    csrf_ok,
    page,
    safe_next,
    set_cookie,
)


def _login_token(ctx: Ctx) -> str | None:
    signed = ctx.request.cookies.get(LOGIN_COOKIE)
    if not signed:
        return None
    try:
        return ctx.console.signer.unsign(signed).decode()
    except (BadSignature, UnicodeDecodeError):
        return None


def _login_form(ctx: Ctx, status: int = 200, error: str | None = None, name: str = "") -> Response:
    token = secrets.token_urlsafe(24)
    response = ctx.render(
        "login.html",
        status=status,
        login_csrf=token,
        error=error,
        name=name,
        next=safe_next(ctx.request.query_params.get("next")),
    )
    set_cookie(response, ctx.request, ctx.console, LOGIN_COOKIE, ctx.console.signer.sign(token).decode())
    return response


def login(ctx: Ctx) -> Response:
    console: Console = ctx.console
    if ctx.request.method == "GET":
        if ctx.viewer is not None:
            return RedirectResponse(safe_next(ctx.request.query_params.get("next")), status_code=303)
        return _login_form(ctx)
    if not csrf_ok(_login_token(ctx), ctx.form.get("csrf")):
        return ctx.error(403, "csrf_failed")
    name = (ctx.field("name", 128) or "").lower()
    password = ctx.form.get("password")
    password = password if isinstance(password, str) else ""
    address = client_address(ctx.request, console.trusted)
    now = console.clock()
    locked = accounts.locked_out(ctx.db, name, address, now, console.throttle)
    if locked is not None:
        until = ctx.console.formatter(ctx.lang).when(locked.until, weekday=True)
        return _login_form(ctx, 429, ctx.t("login_locked", until=until), name)
    user = accounts.find_user(ctx.db, name) if accounts.NAME_PATTERN.fullmatch(name) else None
    if not accounts.verify_password(user, password):
        accounts.record_failure(ctx.db, name or "-", address, now)
        return _login_form(ctx, 401, ctx.t("login_bad"), name)
    accounts.clear_failures(ctx.db, name)
    accounts.upgrade_hash(user, password)
    # A previous session of this browser is ended: a login never continues a session it was handed.
    if ctx.session_raw:
        accounts.revoke_session(ctx.db, ctx.session_raw, now)
    raw, _row = accounts.open_session(
        ctx.db,
        user,
        now,
        console.timeouts,
        address=address,
        user_agent=ctx.request.headers.get("user-agent"),
    )
    response = RedirectResponse(safe_next(ctx.form.get("next")), status_code=303)
    set_cookie(response, ctx.request, console, SESSION_COOKIE, console.signer.sign(raw).decode())
    response.delete_cookie(LOGIN_COOKIE, path="/")
    return response


def logout(ctx: Ctx) -> Response:
    if ctx.session_raw:
        accounts.revoke_session(ctx.db, ctx.session_raw, ctx.console.clock())
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def switch_language(request: Request) -> Response:
    code = request.path_params["code"]
    target = safe_next(request.query_params.get("next"))
    response = RedirectResponse(target, status_code=303)
    if code in LANGS:
        set_cookie(response, request, request.app.state.console, LANG_COOKIE, code)
    return response


ROUTES = [
    Route("/login", page(login, public=True), methods=["GET", "POST"]),
    Route("/logout", page(logout), methods=["POST"]),
    Route("/lang/{code}", switch_language, methods=["GET"]),
]
