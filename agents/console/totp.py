"""The optional second factor: RFC 6238 time-based one-time codes (pyotp), on the ledger's users.

No web framework here: `sigap user totp` and the console share it. Time comes in as a parameter.

- A secret is 160 random bits (RFC 4226's recommended length) in base32, what every authenticator
  app reads from an otpauth:// URI or its QR code: 6 digits, SHA-1, 30-second steps.
- Enrolling keeps the new secret apart (`totp_pending`) until a first code from the app confirms it,
  so a half-done enrolment never locks anyone out.
- A code is accepted for the current step or one step either side (a phone's clock a little off,
  a code typed as it changed) and only for a step later than the last one accepted: the step is
  written with a guarded update, so a code seen once (over a shoulder, in a log) is refused the
  second time, even by two requests at once on two instances.
- A bad code counts in the login throttle like a bad password (accounts.record_failure).
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from sqlalchemy import or_, update
from sqlalchemy.orm import Session

from sop_registry.errors import InputError
from sop_registry.ledger.models import User

DIGITS = 6
INTERVAL_S = 30
WINDOW = 1  # steps accepted either side of the current one
ISSUER_DEFAULT = "Sigap"


@lru_cache(maxsize=1)
def _pyotp():
    import pyotp  # only where a second factor is made or checked

    return pyotp


def new_secret() -> str:
    return _pyotp().random_base32(32)  # 32 base32 characters: 160 bits


def step_of(at: datetime) -> int:
    return int(at.timestamp()) // INTERVAL_S


def code_at(secret: str, at: datetime) -> str:
    """The code an authenticator app shows at this time (the tests' and the CLI's own check)."""
    return _pyotp().TOTP(secret, digits=DIGITS, interval=INTERVAL_S).at(at)


def clean_code(given: object) -> str | None:
    """Six digits, forgiving the spaces and dashes an app shows in the middle; else None."""
    if not isinstance(given, str):
        return None
    code = given.strip().replace(" ", "").replace("-", "")
    return code if len(code) == DIGITS and code.isascii() and code.isdigit() else None


def matching_step(secret: str, given: object, at: datetime, after: int | None = None) -> int | None:
    """The time-step the code belongs to (current one, or one either side), if later than `after`."""
    code = clean_code(given)
    if code is None:
        return None
    totp = _pyotp().TOTP(secret, digits=DIGITS, interval=INTERVAL_S)
    now = step_of(at)
    found = None
    for step in range(now - WINDOW, now + WINDOW + 1):  # every step compared: no early exit
        if hmac.compare_digest(totp.generate_otp(step), code) and (after is None or step > after):
            found = step if found is None else found
    return found


def provisioning_uri(secret: str, account: str, issuer: str | None) -> str:
    totp = _pyotp().TOTP(secret, digits=DIGITS, interval=INTERVAL_S)
    return totp.provisioning_uri(name=account, issuer_name=issuer or ISSUER_DEFAULT)


def qr_svg(uri: str) -> bytes:
    """The otpauth:// URI as an SVG QR code (segno: no Pillow, no script in the SVG)."""
    import io

    import segno

    out = io.BytesIO()
    segno.make(uri, error="m").save(out, kind="svg", scale=5, border=4, dark="#111", light="#fff")
    return out.getvalue()


def enabled(user: User) -> bool:
    return bool(user.totp_secret)


def _accept(session: Session, user: User, step: int) -> bool:
    """Record the step as used, unless another request used it (or a later one) first."""
    result = session.execute(
        update(User)
        .where(User.id == user.id, or_(User.totp_last_step.is_(None), User.totp_last_step < step))
        .values(totp_last_step=step)
        .execution_options(synchronize_session="fetch")
    )
    if not result.rowcount:
        return False
    user.totp_last_step = step
    return True


def verify(session: Session, user: User, given: object, at: datetime) -> bool:
    """True once for a right code of the user's confirmed secret; the same code again is False."""
    if not user.totp_secret or user.disabled:
        return False
    step = matching_step(user.totp_secret, given, at, after=user.totp_last_step)
    return step is not None and _accept(session, user, step)


@dataclass(frozen=True)
class Enrolment:
    secret: str
    uri: str


def start(user: User, issuer: str | None, now: datetime) -> Enrolment:
    """A new secret waiting for its first code; a second start replaces the one before."""
    if user.oidc_subject:
        raise InputError(f"argument NAME: {user.name} signs in through SSO; its second factor is the SSO's")
    if user.totp_secret:
        raise InputError(f"argument NAME: {user.name} has a second factor already; turn it off first")
    user.totp_pending = new_secret()
    user.updated_at = now
    return Enrolment(user.totp_pending, provisioning_uri(user.totp_pending, user.name, issuer))


def pending_uri(user: User, issuer: str | None) -> str | None:
    return provisioning_uri(user.totp_pending, user.name, issuer) if user.totp_pending else None


def confirm(session: Session, user: User, given: object, at: datetime) -> bool:
    """The first code from the app: the pending secret becomes the user's, that code used up."""
    if not user.totp_pending or user.totp_secret:
        return False
    step = matching_step(user.totp_pending, given, at)
    if step is None:
        return False
    user.totp_secret, user.totp_pending = user.totp_pending, None
    user.totp_enabled_at = user.updated_at = at
    user.totp_last_step = step
    session.flush()
    return True


def disable(user: User, now: datetime) -> bool:
    """Turn the second factor off (the user itself with password and code, or an admin's reset);
    returns whether one was on or being enrolled."""
    was = bool(user.totp_secret or user.totp_pending)
    user.totp_secret = user.totp_pending = None
    user.totp_enabled_at = user.totp_last_step = None
    user.updated_at = now
    return was
