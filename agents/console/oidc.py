"""Sign-in through the province's OpenID Connect provider (Keycloak), beside the local accounts.

The authorization code flow with PKCE (S256), `state` and `nonce`, as the console's own client:
authlib builds the authorization request and the PKCE challenge and checks the ID token's claims,
joserfc (authlib's JOSE library) checks its signature, httpx talks to the provider. The ID token is
believed only when:

- it is signed by a key in the provider's JWKS (asymmetric algorithms only; an unknown key id makes
  one fresh fetch of the JWKS, for a key rotated at the provider) — `iss` is exactly the configured
  issuer (the discovery document must say so too), `aud` holds the client id (and `azp`, when
  present, is it), `exp` is not past and `iat` is not in the future (console.oidc.leeway_s either
  way), and `nonce` is the one this browser's login started with.

Its claims then give the role (console.oidc.roles maps the values at role_claim, the strongest role
wins) and, for an admin_opd, the OPDs (console.oidc.opds maps the values at opd_claim). No mapped
role, or an OPD admin without a mapped OPD, is refused with a message saying so. The person gets a
local user row, found again by (issuer, subject) and updated at every sign-in (role, OPDs, display
name, e-mail come from the provider), without a password, so sessions, permissions and the case
log's `by` work as for a local account. A local account of the same name is never taken over.

The discovery document and the JWKS are fetched at the first SSO sign-in, not at start (the console
starts while the provider is down), and kept for an hour.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote_plus

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from sop_registry.ledger.models import USER_ROLES, User

from . import accounts

log = logging.getLogger("sigap.console.oidc")

CALLBACK_PATH = "/login/oidc/callback"
METADATA_TTL_S = 3600
# Asymmetric only: an HMAC "signature" keyed with a public key is the classic algorithm confusion.
ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA")
MAX_RESPONSE = 512 * 1024


class Unreachable(Exception):
    """The provider did not answer, or answered something that is not its protocol."""


class Invalid(Exception):
    """The provider's answer failed a check (signature, iss, aud, exp, nonce, state)."""


class Refused(Exception):
    """A valid sign-in this console does not let in; `key` is the text the person reads."""

    def __init__(self, key: str, detail: str = "") -> None:
        super().__init__(detail or key)
        self.key = key


@dataclass(frozen=True)
class Mapped:
    role: str
    opds: tuple[str, ...]


def claim(claims: dict, path: str) -> Any:
    """A claim by dotted path (realm_access.roles); a name that is itself dotted is tried whole first."""
    if path in claims:
        return claims[path]
    value: Any = claims
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple):
        return [v for v in value if isinstance(v, str)]
    return []


def map_claims(settings, claims: dict, known_opds: set[str] | None = None) -> Mapped:
    """The role and OPDs the provider's claims give, or Refused."""
    given = strings(claim(claims, settings.role_claim))
    roles = {settings.roles[v] for v in given if v in settings.roles}
    if not roles:
        raise Refused("oidc_no_role", f"no mapped role in {settings.role_claim}: {given[:10]}")
    role = next(r for r in USER_ROLES if r in roles)  # the strongest: admin first, viewer last
    if role != "admin_opd":
        return Mapped(role, ())
    values = strings(claim(claims, settings.opd_claim)) if settings.opd_claim else []
    opds = [settings.opds[v] for v in values if v in settings.opds]
    if known_opds is not None:
        unknown = [o for o in opds if o not in known_opds]
        if unknown:
            log.warning("console.oidc.opds maps to OPDs no target has: %s", ", ".join(unknown))
        opds = [o for o in opds if o in known_opds]
    if not opds:
        raise Refused("oidc_no_opd", f"admin_opd without a mapped OPD in {settings.opd_claim}: {values[:10]}")
    return Mapped(role, tuple(dict.fromkeys(opds)))


# --- the local row ----------------------------------------------------------------------------------


def _name_hint(claims: dict, settings) -> str:
    raw = claim(claims, settings.username_claim)
    if not isinstance(raw, str) or not raw.strip():
        raw = claims.get("email") if isinstance(claims.get("email"), str) else ""
        raw = raw.split("@", 1)[0]
    name = re.sub(r"[^a-z0-9._-]+", "-", raw.strip().casefold())
    name = name.lstrip("._-")[:56].rstrip("-")
    if accounts.NAME_PATTERN.fullmatch(name):
        return name
    return "sso-" + hashlib.sha256(str(claims["sub"]).encode()).hexdigest()[:10]


def _free_name(session: Session, hint: str) -> str:
    """The hint, or (a local account has it) the hint with -sso, -sso2, ...: never someone else's row."""
    for candidate in (hint, f"{hint}-sso", *(f"{hint}-sso{i}" for i in range(2, 20))):
        if accounts.find_user(session, candidate) is None:
            return candidate
    return "sso-" + secrets.token_hex(6)


def _display_name(claims: dict, settings) -> str | None:
    for value in (claim(claims, settings.display_name_claim), claims.get("name")):
        if isinstance(value, str) and value.strip():
            return value.strip()[:128]
    parts = [claims.get("given_name"), claims.get("family_name")]
    joined = " ".join(p.strip() for p in parts if isinstance(p, str) and p.strip())
    return joined[:128] or None


def _email(claims: dict) -> str | None:
    email = claims.get("email")
    if isinstance(email, str) and len(email) <= 254 and accounts.EMAIL_PATTERN.fullmatch(email):
        return email
    return None


def upsert_user(session: Session, settings, claims: dict, mapped: Mapped, now: datetime) -> User:
    """The local row of this provider's subject: made at the first sign-in, brought up to date at
    every one after. A row disabled in Sigap stays disabled (Refused)."""
    subject = str(claims["sub"])[:255]
    user = session.scalars(
        select(User).where(User.oidc_issuer == settings.issuer, User.oidc_subject == subject)
    ).first()
    display = _display_name(claims, settings)
    if user is None:
        name = _free_name(session, _name_hint(claims, settings))
        user = User(
            name=name,
            display_name=display or name,
            role=mapped.role,
            opds=list(mapped.opds),
            acts_as=[],
            email=_email(claims),
            phone=None,
            telegram_id=None,
            password_hash=None,  # no local password: the provider is the only way in
            disabled=False,
            created_at=now,
            updated_at=now,
            password_changed_at=None,
            oidc_issuer=settings.issuer,
            oidc_subject=subject,
        )
        session.add(user)
        session.flush()
        log.info("console: SSO user %s (%s) made for subject %s", name, mapped.role, subject)
        return user
    if user.disabled:
        raise Refused("oidc_disabled", f"user {user.name} is disabled")
    changed = (user.role, list(user.opds or [])) != (mapped.role, list(mapped.opds))
    user.role, user.opds = mapped.role, list(mapped.opds)
    if display:
        user.display_name = display
    user.email = _email(claims) or user.email
    user.updated_at = now
    if changed:
        log.info("console: SSO user %s is now %s %s", user.name, mapped.role, list(mapped.opds))
    return user


# --- the provider -----------------------------------------------------------------------------------


def _secure(url: object) -> bool:
    from authlib.common.security import is_secure_transport

    return isinstance(url, str) and is_secure_transport(url)


class Provider:
    """One configured issuer: its discovery document and keys, fetched once an hour at most."""

    def __init__(self, settings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._metadata: dict | None = None
        self._metadata_at = 0.0
        self._jwks: dict | None = None

    def _client(self) -> httpx.Client:
        return httpx.Client(
            timeout=self.settings.timeout_s,
            follow_redirects=False,
            headers={"Accept": "application/json", "User-Agent": "Sigap console"},
        )

    def _get_json(self, url: str) -> dict:
        try:
            with self._client() as client:
                reply = client.get(url)
        except httpx.HTTPError as exc:
            raise Unreachable(f"{url}: {exc.__class__.__name__}: {exc}") from None
        if reply.status_code != 200 or len(reply.content) > MAX_RESPONSE:
            raise Unreachable(f"{url}: HTTP {reply.status_code}")
        try:
            data = reply.json()
        except ValueError:
            raise Unreachable(f"{url}: not JSON") from None
        if not isinstance(data, dict):
            raise Unreachable(f"{url}: not a JSON object")
        return data

    def metadata(self) -> dict:
        with self._lock:
            if self._metadata is not None and time.monotonic() - self._metadata_at < METADATA_TTL_S:
                return self._metadata
        url = self.settings.issuer + "/.well-known/openid-configuration"
        data = self._get_json(url)
        if data.get("issuer") != self.settings.issuer:
            raise Unreachable(f"{url}: issuer {data.get('issuer')!r} is not {self.settings.issuer!r}")
        for key in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
            if not _secure(data.get(key)):
                raise Unreachable(f"{url}: {key} missing or not https")
        methods = data.get("code_challenge_methods_supported")
        if isinstance(methods, list) and "S256" not in methods:
            raise Unreachable(f"{url}: the provider does not offer PKCE S256")
        with self._lock:
            self._metadata, self._metadata_at, self._jwks = data, time.monotonic(), None
        return data

    def jwks(self, force: bool = False) -> dict:
        if self._jwks is not None and not force:
            return self._jwks
        keys = self._get_json(self.metadata()["jwks_uri"])
        if not isinstance(keys.get("keys"), list):
            raise Unreachable("the provider's JWKS has no keys")
        self._jwks = keys
        return keys

    def authorization_url(self, redirect_uri: str, state: str, nonce: str, verifier: str, lang: str) -> str:
        """The provider's authorization endpoint with this login's state, nonce and PKCE challenge."""
        from authlib.oauth2.rfc6749.parameters import prepare_grant_uri
        from authlib.oauth2.rfc7636 import create_s256_code_challenge

        return prepare_grant_uri(
            self.metadata()["authorization_endpoint"],
            client_id=self.settings.client_id,
            response_type="code",
            redirect_uri=redirect_uri,
            scope=self.settings.scopes,
            state=state,
            nonce=nonce,
            code_challenge=create_s256_code_challenge(verifier),
            code_challenge_method="S256",
            ui_locales=lang,
        )

    def redeem(self, code: str, redirect_uri: str, verifier: str) -> dict:
        """The token endpoint's answer for this code (with the PKCE verifier); a confidential client
        authenticates with HTTP Basic (client_secret_basic, RFC 6749 2.3.1), a public one names itself."""
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": verifier,
        }
        secret = self.settings.client_secret
        auth = None
        if secret is not None:
            auth = httpx.BasicAuth(quote_plus(self.settings.client_id), quote_plus(secret.get_secret_value()))
        else:
            form["client_id"] = self.settings.client_id
        endpoint = self.metadata()["token_endpoint"]
        try:
            with self._client() as client:
                reply = client.post(endpoint, data=form, auth=auth)
        except httpx.HTTPError as exc:
            raise Unreachable(f"token endpoint: {exc.__class__.__name__}: {exc}") from None
        try:
            token = reply.json() if len(reply.content) <= MAX_RESPONSE else None
        except ValueError:
            token = None
        if not isinstance(token, dict):
            raise Unreachable(f"token endpoint: HTTP {reply.status_code}, not a JSON object")
        if reply.status_code != 200 or "error" in token:
            error, detail = str(token.get("error", "?"))[:64], str(token.get("error_description", ""))[:200]
            raise Invalid(f"token endpoint: HTTP {reply.status_code} {error} {detail}".rstrip())
        if not isinstance(token.get("id_token"), str):
            raise Invalid("token endpoint: no id_token in the answer")
        return token

    def verify(self, id_token: str, nonce: str, now: datetime, access_token: str | None = None) -> dict:
        """The ID token's claims after every check, or Invalid naming the one that failed."""
        from authlib.oidc.core import CodeIDToken
        from joserfc import jwt
        from joserfc.errors import InvalidKeyIdError, JoseError
        from joserfc.jwk import KeySet

        offered = self.metadata().get("id_token_signing_alg_values_supported")
        algorithms = [a for a in ALGORITHMS if not isinstance(offered, list) or a in offered]
        try:
            try:
                token = jwt.decode(id_token, KeySet.import_key_set(self.jwks()), algorithms=algorithms)
            except InvalidKeyIdError:  # a key rotated at the provider: one fresh look at its JWKS
                keys = KeySet.import_key_set(self.jwks(force=True))
                token = jwt.decode(id_token, keys, algorithms=algorithms)
            claims = CodeIDToken(
                token.claims,
                token.header,
                {
                    "iss": {"essential": True, "value": self.settings.issuer},
                    "aud": {"essential": True, "value": self.settings.client_id},
                    "sub": {"essential": True},
                    "nonce": {"essential": True},
                },
                {"nonce": nonce, "client_id": self.settings.client_id, "access_token": access_token},
            )
            claims.validate(now=int(now.timestamp()), leeway=self.settings.leeway_s)
        except (JoseError, ValueError) as exc:
            raise Invalid(f"ID token: {exc.__class__.__name__}: {exc}") from None
        iat = claims.get("iat")
        if not isinstance(iat, int | float) or iat > now.timestamp() + self.settings.leeway_s:
            raise Invalid("ID token: iat in the future")
        return dict(claims)


_providers_lock = threading.Lock()


def provider_of(state: Any, settings) -> Provider:
    """The app's one Provider (its caches shared by every request), made at the first SSO sign-in."""
    with _providers_lock:
        found = getattr(state, "oidc_provider", None)
        if found is None or found.settings is not settings:
            found = Provider(settings)
            state.oidc_provider = found
        return found


def new_login(redirect_next: str) -> dict[str, str]:
    """What this browser keeps (signed) between leaving for the provider and coming back."""
    return {
        "state": secrets.token_urlsafe(24),
        "nonce": secrets.token_urlsafe(24),
        "verifier": secrets.token_urlsafe(48),  # 64 characters: RFC 7636 asks 43-128
        "next": redirect_next,
    }
