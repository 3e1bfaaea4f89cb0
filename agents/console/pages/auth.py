"""Login (password, then the second factor when the user has one; or the provincial SSO), logout,
the account's own security page and the language switch.

The login form carries a CSRF token before any session exists: a random value in a signed,
HttpOnly cookie and the same value in the form (a cross-site page can read neither). A login is
refused while the account or the address is locked out, before the password is looked at; a bad
password is counted; a good one starts a new server-side session (never one the browser brought).

A user with a second factor (TOTP) gets no session for the password alone: a signed, five-minute
note that the password was right (the "half-login", bound to the password hash and the secret, so a
new password or a reset ends it), which only the code form accepts. A bad code counts in the same
throttle as a bad password, per account and per address; the account's bad attempts are forgotten
only once the code is right, so a known password does not buy more guesses at the code.

"Masuk dengan SSO Provinsi" (console.oidc) sends the browser to the provider with state, nonce and
a PKCE challenge kept in a signed cookie; the callback checks them and the ID token (agents/
console/oidc.py) and opens the same kind of session as a local login.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
from datetime import timedelta

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import update
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from sop_registry.ledger.models import User, UserSession

from .. import accounts, oidc, totp
from ..texts import LANGS
from ..web import (
    LANG_COOKIE,
    LOGIN_COOKIE,
    SESSION_COOKIE,
    Console,
    Ctx,
    NotFound,
    client_address,
    csrf_ok,
    over_tls,
    page,
    safe_next,
    set_cookie,
)

log = logging.getLogger("sigap.console")

MFA_COOKIE = "sigap_mfa"  # the half-login: password right, code still to come (not a session)
OIDC_COOKIE = "sigap_oidc"  # state, nonce and PKCE verifier while the browser is at the provider
MFA_TTL = timedelta(minutes=5)
OIDC_TTL = timedelta(minutes=10)
DONE = ("totp_enabled", "totp_disabled")


def _login_token(ctx: Ctx) -> str | None:
    signed = ctx.request.cookies.get(LOGIN_COOKIE)
    if not signed:
        return None
    try:
        return ctx.console.signer.unsign(signed).decode()
    except (BadSignature, UnicodeDecodeError):
        return None


def _sealer(console: Console, purpose: str) -> URLSafeSerializer:
    return URLSafeSerializer(console.signer.secret_keys, salt=f"sigap-console-{purpose}")


def _unseal(ctx: Ctx, cookie: str, purpose: str, ttl: timedelta) -> dict | None:
    """A signed cookie's content, if it is ours, well-formed and younger than `ttl` by the console's clock."""
    raw = ctx.request.cookies.get(cookie)
    if not raw:
        return None
    try:
        data = _sealer(ctx.console, purpose).loads(raw)
    except (BadSignature, UnicodeDecodeError, ValueError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("at"), int | float):
        return None
    age = ctx.console.clock().timestamp() - data["at"]
    return data if 0 <= age <= ttl.total_seconds() else None


def _sso_label(ctx: Ctx) -> str | None:
    settings = ctx.console.config.console.oidc
    if settings is None:
        return None
    return settings.label or ctx.t("oidc_label")


def _login_form(ctx: Ctx, status: int = 200, error: str | None = None, name: str = "") -> Response:
    token = secrets.token_urlsafe(24)
    response = ctx.render(
        "login.html",
        status=status,
        login_csrf=token,
        error=error,
        name=name,
        next=safe_next(ctx.request.query_params.get("next") or _form_next(ctx)),
        sso=_sso_label(ctx),
    )
    set_cookie(response, ctx.request, ctx.console, LOGIN_COOKIE, ctx.console.signer.sign(token).decode())
    return response


def _form_next(ctx: Ctx) -> str | None:
    value = ctx.form.get("next") if ctx.form is not None else None
    return value if isinstance(value, str) else None


def _open_session(ctx: Ctx, user: User, target: str | None) -> Response:
    """A new session for this user (the browser's previous one ended) and the way on."""
    console = ctx.console
    now = console.clock()
    # A previous session of this browser is ended: a login never continues a session it was handed.
    if ctx.session_raw:
        accounts.revoke_session(ctx.db, ctx.session_raw, now)
    raw, _row = accounts.open_session(
        ctx.db,
        user,
        now,
        console.timeouts,
        address=client_address(ctx.request, console.trusted),
        user_agent=ctx.request.headers.get("user-agent"),
    )
    response = RedirectResponse(safe_next(target), status_code=303)
    set_cookie(response, ctx.request, console, SESSION_COOKIE, console.signer.sign(raw).decode())
    response.delete_cookie(LOGIN_COOKIE, path="/")
    for cookie in (MFA_COOKIE, OIDC_COOKIE):
        if cookie in ctx.request.cookies:
            response.delete_cookie(cookie, path="/")
    return response


def _binding(console: Console, user: User) -> str:
    """What a half-login is good for: this password hash and this secret (a change of either ends
    it); keyed with the console's key, so the cookie shows nothing computed from them alone."""
    material = f"{user.id}\x00{user.password_hash or ''}\x00{user.totp_secret or ''}"
    return hmac.new(console.signer.secret_keys[-1], material.encode(), hashlib.sha256).hexdigest()[:32]


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
    accounts.upgrade_hash(user, password)
    if totp.enabled(user):
        # Not a session: a signed note that the password was right, which only the code form takes.
        # The account's bad attempts stay counted until the code is right too.
        note = {
            "u": user.id,
            "b": _binding(console, user),
            "at": now.timestamp(),
            "n": safe_next(_form_next(ctx)),
        }
        response = RedirectResponse("/login/totp", status_code=303)
        set_cookie(response, ctx.request, console, MFA_COOKIE, _sealer(console, "mfa").dumps(note))
        return response
    accounts.clear_failures(ctx.db, name)
    return _open_session(ctx, user, _form_next(ctx))


def _half_login(ctx: Ctx) -> tuple[User, dict] | None:
    note = _unseal(ctx, MFA_COOKIE, "mfa", MFA_TTL)
    if note is None or not isinstance(note.get("u"), int):
        return None
    user = ctx.db.get(User, note["u"])
    if user is None or user.disabled or not totp.enabled(user):
        return None
    if not hmac.compare_digest(str(note.get("b", "")), _binding(ctx.console, user)):
        return None
    return user, note


def _code_form(ctx: Ctx, user: User, status: int = 200, error: str | None = None) -> Response:
    token = secrets.token_urlsafe(24)
    response = ctx.render(
        "login_totp.html", status=status, login_csrf=token, error=error, who=user.display_name
    )
    set_cookie(response, ctx.request, ctx.console, LOGIN_COOKIE, ctx.console.signer.sign(token).decode())
    return response


def _expired(ctx: Ctx) -> Response:
    response = _login_form(ctx, 401, ctx.t("totp_login_expired"))
    response.delete_cookie(MFA_COOKIE, path="/")
    return response


def login_code(ctx: Ctx) -> Response:
    """The login's second step: the 6-digit code for the half-login's user."""
    console = ctx.console
    if ctx.request.method == "GET":
        found = _half_login(ctx)
        if found is None:
            return RedirectResponse("/login", status_code=303)
        return _code_form(ctx, found[0])
    if not csrf_ok(_login_token(ctx), ctx.form.get("csrf")):
        return ctx.error(403, "csrf_failed")
    found = _half_login(ctx)
    if found is None:
        return _expired(ctx)
    user, note = found
    address = client_address(ctx.request, console.trusted)
    now = console.clock()
    locked = accounts.locked_out(ctx.db, user.name, address, now, console.throttle)
    if locked is not None:
        until = console.formatter(ctx.lang).when(locked.until, weekday=True)
        return _code_form(ctx, user, 429, ctx.t("totp_locked", until=until))
    if not totp.verify(ctx.db, user, ctx.form.get("code"), now):
        accounts.record_failure(ctx.db, user.name, address, now)
        return _code_form(ctx, user, 401, ctx.t("totp_login_bad"))
    accounts.clear_failures(ctx.db, user.name)
    return _open_session(ctx, user, note.get("n"))


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


# --- the account's own page: the second factor ------------------------------------------------------


def _me(ctx: Ctx) -> User:
    user = ctx.db.get(User, ctx.viewer.user_id)
    if user is None:
        raise NotFound
    return user


def _issuer(ctx: Ctx) -> str:
    office = ctx.console.config.office
    return f"Sigap {office.short_name or office.name}".strip()[:64]


def _account_page(ctx: Ctx, user: User, status: int = 200, error: str | None = None) -> Response:
    done = ctx.request.query_params.get("done")
    return ctx.render(
        "account.html",
        status=status,
        user=user,
        sso=bool(user.oidc_subject),
        totp_on=totp.enabled(user),
        pending=totp.pending_uri(user, _issuer(ctx)) is not None,
        secret=_grouped(user.totp_pending) if user.totp_pending else None,
        error=error,
        done=done if done in DONE else None,
    )


def _grouped(secret: str) -> str:
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def account(ctx: Ctx) -> Response:
    return _account_page(ctx, _me(ctx))


def totp_start(ctx: Ctx) -> Response:
    totp.start(_me(ctx), _issuer(ctx), ctx.console.clock())
    return RedirectResponse("/account#totp", status_code=303)


def totp_cancel(ctx: Ctx) -> Response:
    user = _me(ctx)
    if not totp.enabled(user):
        user.totp_pending = None
    return RedirectResponse("/account", status_code=303)


def totp_confirm(ctx: Ctx) -> Response:
    user = _me(ctx)
    now = ctx.console.clock()
    if not totp.confirm(ctx.db, user, ctx.form.get("code"), now):
        return _account_page(ctx, user, 400, ctx.t("totp_confirm_bad"))
    # A session opened with the password alone (by whoever knew it) ends now; this one goes on.
    ctx.db.execute(
        update(UserSession)
        .where(
            UserSession.user_id == user.id,
            UserSession.revoked_at.is_(None),
            UserSession.token_hash != accounts.digest(ctx.session_raw or ""),
        )
        .values(revoked_at=now)
        .execution_options(synchronize_session="fetch")
    )
    log.info("console: %s turned on the second factor", user.name)
    return RedirectResponse("/account?done=totp_enabled", status_code=303)


def totp_disable(ctx: Ctx) -> Response:
    """Turning it off needs the password and a current code: a borrowed session alone cannot."""
    console = ctx.console
    user = _me(ctx)
    if not totp.enabled(user):
        return RedirectResponse("/account", status_code=303)
    address = client_address(ctx.request, console.trusted)
    now = console.clock()
    locked = accounts.locked_out(ctx.db, user.name, address, now, console.throttle)
    if locked is not None:
        until = console.formatter(ctx.lang).when(locked.until, weekday=True)
        return _account_page(ctx, user, 429, ctx.t("totp_locked", until=until))
    password = ctx.form.get("password")
    good = accounts.verify_password(user, password if isinstance(password, str) else "")
    if not (good and totp.verify(ctx.db, user, ctx.form.get("code"), now)):
        accounts.record_failure(ctx.db, user.name, address, now)
        return _account_page(ctx, user, 401, ctx.t("totp_disable_bad"))
    totp.disable(user, now)
    log.info("console: %s turned off the second factor", user.name)
    return RedirectResponse("/account?done=totp_disabled", status_code=303)


def totp_qr(ctx: Ctx) -> Response:
    """The enrolment's QR code, an SVG image of the otpauth:// URI (no script: the CSP stays strict)."""
    uri = totp.pending_uri(_me(ctx), _issuer(ctx))
    if uri is None:
        raise NotFound
    return Response(
        totp.qr_svg(uri),
        media_type="image/svg+xml",
        headers={"Cache-Control": "no-store"},
    )


# --- the provincial SSO (OpenID Connect) ----------------------------------------------------------


def _redirect_uri(ctx: Ctx) -> str:
    """Where the provider sends the browser back: console.public_url's, else this request's origin."""
    base = ctx.console.config.console.public_url
    if base:
        return base.rstrip("/") + oidc.CALLBACK_PATH
    url = ctx.request.url
    scheme = "https" if over_tls(ctx.request, ctx.console.trusted) else url.scheme
    return f"{scheme}://{url.netloc}{oidc.CALLBACK_PATH}"


def _provider(ctx: Ctx) -> oidc.Provider:
    settings = ctx.console.config.console.oidc
    if settings is None:
        raise NotFound
    return oidc.provider_of(ctx.request.app.state, settings)


def _known_opds(ctx: Ctx) -> set[str]:
    targets = ctx.console.config.targets
    opds = {w.opd for w in targets.websites} | {link.opd for link in targets.links}
    opds |= {s.opd for s in targets.servers if s.opd} | {e.opd for e in targets.tls_endpoints if e.opd}
    return opds


def sso_start(ctx: Ctx) -> Response:
    provider = _provider(ctx)
    target = safe_next(ctx.request.query_params.get("next"))
    if ctx.viewer is not None:
        return RedirectResponse(target, status_code=303)
    started = oidc.new_login(target)
    try:
        url = provider.authorization_url(
            _redirect_uri(ctx), started["state"], started["nonce"], started["verifier"], ctx.lang
        )
    except oidc.Unreachable as exc:
        log.warning("console: SSO sign-in cannot start: %s", exc)
        return _login_form(ctx, 502, ctx.t("oidc_unreachable"))
    response = RedirectResponse(url, status_code=303)
    sealed = _sealer(ctx.console, "oidc").dumps({**started, "at": ctx.console.clock().timestamp()})
    set_cookie(response, ctx.request, ctx.console, OIDC_COOKIE, sealed)
    return response


def _sso_refused(ctx: Ctx, status: int, key: str, **values: str) -> Response:
    response = _login_form(ctx, status, ctx.t(key, **values))
    response.delete_cookie(OIDC_COOKIE, path="/")
    return response


def sso_callback(ctx: Ctx) -> Response:
    console = ctx.console
    provider = _provider(ctx)
    started = _unseal(ctx, OIDC_COOKIE, "oidc", OIDC_TTL)
    params = ctx.request.query_params
    state = params.get("state") or ""
    if started is None or not isinstance(started.get("state"), str):
        return _sso_refused(ctx, 400, "oidc_expired")
    if not hmac.compare_digest(started["state"].encode(), state.encode()):
        log.warning("console: SSO callback with a state this browser did not start")
        return _sso_refused(ctx, 400, "oidc_expired")
    if params.get("error"):
        shown = re.match(r"[A-Za-z0-9_.-]{1,64}", params["error"])  # RFC 6749's codes; nothing else shown
        error = shown.group(0) if shown else "error"
        log.warning(
            "console: the SSO provider refused: %s %s", error, (params.get("error_description") or "")[:200]
        )
        return _sso_refused(ctx, 401, "oidc_denied", error=error)
    code = params.get("code")
    if not code or len(code) > 2048:
        return _sso_refused(ctx, 400, "oidc_expired")
    now = console.clock()
    try:
        token = provider.redeem(code, _redirect_uri(ctx), started["verifier"])
        claims = provider.verify(token["id_token"], started["nonce"], now, token.get("access_token"))
        mapped = oidc.map_claims(provider.settings, claims, _known_opds(ctx))
        user = oidc.upsert_user(ctx.db, provider.settings, claims, mapped, now)
    except oidc.Unreachable as exc:
        log.warning("console: SSO sign-in failed, provider unreachable: %s", exc)
        return _sso_refused(ctx, 502, "oidc_unreachable")
    except oidc.Invalid as exc:
        log.warning("console: SSO sign-in refused: %s", exc)
        return _sso_refused(ctx, 401, "oidc_failed")
    except oidc.Refused as exc:
        log.warning("console: SSO sign-in refused: %s", exc)
        return _sso_refused(ctx, 403, exc.key)
    log.info("console: %s signed in through SSO as %s", user.name, user.role)
    return _open_session(ctx, user, started.get("next"))


ROUTES = [
    Route("/login", page(login, public=True), methods=["GET", "POST"]),
    Route("/login/totp", page(login_code, public=True), methods=["GET", "POST"]),
    Route("/login/oidc", page(sso_start, public=True, slow=True), methods=["GET"]),
    Route(oidc.CALLBACK_PATH, page(sso_callback, public=True, slow=True), methods=["GET"]),
    Route("/logout", page(logout), methods=["POST"]),
    Route("/account", page(account), methods=["GET"]),
    Route("/account/totp/start", page(totp_start), methods=["POST"]),
    Route("/account/totp/confirm", page(totp_confirm), methods=["POST"]),
    Route("/account/totp/cancel", page(totp_cancel), methods=["POST"]),
    Route("/account/totp/disable", page(totp_disable), methods=["POST"]),
    Route("/account/totp/qr.svg", page(totp_qr), methods=["GET"]),
    Route("/lang/{code}", switch_language, methods=["GET"]),
]
