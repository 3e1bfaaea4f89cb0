"""Users, passwords, sessions, API tokens and the login throttle, on the ledger.

No web framework here: `sigap user` and the console share it. Time comes in as a parameter.

- Passwords are argon2id hashes (argon2-cffi's RFC 9106 low-memory profile: 3 passes over 64 MiB,
  about 50 ms on this 2-core machine), never stored or logged as given. An unknown account is checked
  against a dummy hash, so the answer takes as long as for a real one.
- A session's and a token's random value is shown once (cookie, CLI line); only its SHA-256 is kept,
  so a copy of the ledger opens no session. 32 random bytes need no slow hash.
- Bad passwords are rows counted per account and per address within a window: N of them lock the
  account (or address) until the window has passed since the last one, on every instance at once.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from sop_registry.errors import InputError
from sop_registry.ledger.models import TOKEN_SCOPES, USER_ROLES, ApiToken, LoginFailure, User, UserSession

ROLES = USER_ROLES
SCOPES = TOKEN_SCOPES
NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
PHONE_PATTERN = re.compile(r"^(?:\+62|62|0)8[0-9]{7,12}$")  # Indonesian mobile numbers: 08..., +628...
EMAIL_PATTERN = re.compile(r"^[^@\s<>\"]+@[^@\s<>\".]+(?:\.[^@\s<>\".]+)*$")  # a@localhost too
TELEGRAM_PATTERN = re.compile(r"^-?[0-9]{1,20}$")
MIN_PASSWORD = 10
MAX_PASSWORD = 1024  # argon2 hashes any length; a megabyte "password" is a denial of service
TOKEN_PREFIX = "sgp_"
# The session row's last_seen_at is written at most this often: a page load is a read, not a write.
TOUCH_EVERY = timedelta(seconds=60)


@lru_cache(maxsize=1)
def _hasher():
    from argon2 import PasswordHasher  # 15 ms of import, only where a password is checked or set

    return PasswordHasher()  # argon2id, RFC 9106 low-memory defaults


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _hasher().hash(secrets.token_urlsafe(16))


def digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


# --- users ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewUser:
    name: str
    role: str
    display_name: str | None = None
    opds: tuple[str, ...] = ()
    acts_as: tuple[str, ...] = ()
    email: str | None = None
    phone: str | None = None
    telegram_id: str | None = None


def check_name(name: str, where: str = "argument NAME") -> str:
    if not NAME_PATTERN.fullmatch(name):
        raise InputError(
            f"{where}: {name!r} is not a login name (2-64 of a-z 0-9 . _ -, starting with a letter or digit)"
        )
    return name


def check_new_user(new: NewUser, *, known_opds: set[str], known_pelaksana: set[str]) -> NewUser:
    """One line naming the argument for anything wrong; the OPDs and pelaksana names must be the
    config's and the registry's, so a typo cannot create an OPD admin who sees nothing."""
    check_name(new.name)
    if new.role not in ROLES:
        raise InputError(f"option --role: {new.role!r} is not one of {', '.join(ROLES)}")
    if new.role == "admin_opd" and not new.opds:
        raise InputError("option --opd: an admin_opd needs at least one --opd")
    if new.role != "admin_opd" and new.opds:
        raise InputError(f"option --opd: only an admin_opd is scoped to OPDs, not a {new.role}")
    for opd in new.opds:
        if opd not in known_opds:
            shown = ", ".join(sorted(known_opds)) or "none in targets"
            raise InputError(f"option --opd: {opd!r} is not an OPD of the config's targets (known: {shown})")
    lowered = {p.casefold(): p for p in known_pelaksana}
    for name in new.acts_as:
        if name.casefold() not in lowered:
            raise InputError(f"option --acts-as: {name!r} is not a pelaksana of any SOP in the registry")
    if new.display_name is not None and not (0 < len(new.display_name.strip()) <= 128):
        raise InputError("option --display-name: 1-128 characters")
    if new.email is not None and (len(new.email) > 254 or not EMAIL_PATTERN.fullmatch(new.email)):
        raise InputError(f"option --email: {new.email!r} is not an e-mail address")
    if new.phone is not None and not PHONE_PATTERN.fullmatch(new.phone.replace(" ", "").replace("-", "")):
        raise InputError(f"option --phone: {new.phone!r} is not an Indonesian mobile number (08..., +628...)")
    if new.telegram_id is not None and not TELEGRAM_PATTERN.fullmatch(new.telegram_id):
        raise InputError(f"option --telegram-id: {new.telegram_id!r} is not a Telegram chat id (a number)")
    return NewUser(
        name=new.name,
        role=new.role,
        display_name=new.display_name.strip() if new.display_name else None,
        opds=tuple(dict.fromkeys(new.opds)),
        acts_as=tuple(dict.fromkeys(lowered[n.casefold()] for n in new.acts_as)),
        email=new.email,
        phone=new.phone.replace(" ", "").replace("-", "") if new.phone else None,
        telegram_id=new.telegram_id,
    )


def check_password(password: str, where: str = "option --password-stdin") -> str:
    if len(password) < MIN_PASSWORD:
        raise InputError(f"{where}: a password needs at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise InputError(f"{where}: a password of at most {MAX_PASSWORD} characters")
    return password


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def find_user(session: Session, name: str) -> User | None:
    return session.scalars(select(User).where(User.name == name)).first()


def user_summary(user: User) -> dict:
    """A user as `sigap user list --json` and `GET /api/v1/users` show it: never a password hash, a
    TOTP secret or a token."""
    return {
        "name": user.name,
        "display_name": user.display_name,
        "role": user.role,
        "opds": list(user.opds or ()),
        "acts_as": list(user.acts_as or ()),
        "email": user.email,
        "phone": user.phone,
        "telegram_id": user.telegram_id,
        "disabled": bool(user.disabled),
        "totp": bool(user.totp_secret),
        "sso": bool(user.oidc_subject),
        "created_at": user.created_at.isoformat(),  # UTC, as every ledger time reads
    }


def get_user(session: Session, name: str) -> User:
    user = find_user(session, name)
    if user is None:
        raise InputError(f"argument NAME: no user {name!r}")
    return user


def add_user(session: Session, new: NewUser, password: str, now: datetime) -> User:
    if find_user(session, new.name) is not None:
        raise InputError(f"argument NAME: user {new.name!r} already exists")
    user = User(
        name=new.name,
        display_name=new.display_name or new.name,
        role=new.role,
        opds=list(new.opds),
        acts_as=list(new.acts_as),
        email=new.email,
        phone=new.phone,
        telegram_id=new.telegram_id,
        password_hash=hash_password(password),
        disabled=False,
        created_at=now,
        updated_at=now,
        password_changed_at=now,
    )
    session.add(user)
    session.flush()
    return user


def set_password(session: Session, user: User, password: str, now: datetime) -> int:
    """A new password ends every session of the user and clears its lockout; returns sessions ended."""
    user.password_hash = hash_password(password)
    user.password_changed_at = user.updated_at = now
    clear_failures(session, user.name)
    return revoke_sessions(session, user, now)


def set_disabled(session: Session, user: User, disabled: bool, now: datetime) -> int:
    """Disabling ends the user's sessions and revokes its tokens at once; returns how many."""
    user.disabled, user.updated_at = disabled, now
    if not disabled:
        return 0
    ended = revoke_sessions(session, user, now)
    tokens = session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session="fetch")
    )
    return ended + (tokens.rowcount or 0)


def verify_password(user: User | None, password: str) -> bool:
    """True only for an enabled user with this password; as slow for an unknown one."""
    from argon2.exceptions import InvalidHashError, VerificationError

    if len(password) > MAX_PASSWORD:
        return False
    stored = user.password_hash if user is not None and user.password_hash else _dummy_hash()
    try:
        ok = _hasher().verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False
    return ok and user is not None and bool(user.password_hash) and not user.disabled


def upgrade_hash(user: User, password: str) -> None:
    """After a good login: a hash made with older parameters is made again with today's."""
    if user.password_hash and _hasher().check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)


# --- sessions ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Timeouts:
    idle: timedelta
    absolute: timedelta


def timeouts_of(settings: Any) -> Timeouts:
    """A session's idle and absolute timeouts from the config's `console:` (the console's and the
    CLI's logins alike)."""
    return Timeouts(
        idle=timedelta(minutes=settings.session_idle_minutes),
        absolute=timedelta(hours=settings.session_max_hours),
    )


def open_session(
    session: Session,
    user: User,
    now: datetime,
    timeouts: Timeouts,
    *,
    address: str | None = None,
    user_agent: str | None = None,
) -> tuple[str, UserSession]:
    """A new login: (the raw id for the cookie, the row)."""
    raw = secrets.token_urlsafe(32)
    row = UserSession(
        user_id=user.id,
        token_hash=digest(raw),
        csrf_token=secrets.token_urlsafe(32),
        created_at=now,
        last_seen_at=now,
        expires_at=now + timeouts.absolute,
        revoked_at=None,
        address=(address or "")[:64] or None,
        user_agent=(user_agent or "")[:256] or None,
    )
    session.add(row)
    session.flush()
    return raw, row


def session_user(
    session: Session, raw: str, now: datetime, timeouts: Timeouts
) -> tuple[UserSession, User] | None:
    """The live session with this id and its enabled user, or None (unknown, revoked, idle too long,
    past its absolute end, or the user disabled). A live one is touched at most once a minute."""
    # One read for the session and its user: every page and htmx refresh pays for it.
    found = session.execute(
        select(UserSession, User)
        .join(User, User.id == UserSession.user_id)
        .where(UserSession.token_hash == digest(raw))
    ).first()
    if found is None:
        return None
    row, user = found
    if row.revoked_at is not None or row.expires_at <= now:
        return None
    if row.last_seen_at + timeouts.idle <= now:
        return None
    if user.disabled:
        return None
    if now - row.last_seen_at >= TOUCH_EVERY:
        row.last_seen_at = now
    return row, user


def revoke_session(session: Session, raw: str, now: datetime) -> bool:
    result = session.execute(
        update(UserSession)
        .where(UserSession.token_hash == digest(raw), UserSession.revoked_at.is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session="fetch")
    )
    return bool(result.rowcount)


def revoke_sessions(session: Session, user: User, now: datetime) -> int:
    result = session.execute(
        update(UserSession)
        .where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session="fetch")
    )
    return result.rowcount or 0


# --- API tokens ---------------------------------------------------------------------------------------


def new_token(
    session: Session, user: User, scope: str, now: datetime, label: str | None = None
) -> tuple[str, ApiToken]:
    if scope not in SCOPES:
        raise InputError(f"option --scope: {scope!r} is not one of {', '.join(SCOPES)}")
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(
        user_id=user.id,
        label=label,
        token_hash=digest(raw),
        scope=scope,
        created_at=now,
        last_used_at=None,
        revoked_at=None,
    )
    session.add(row)
    session.flush()
    return raw, row


def token_user(session: Session, raw: str, now: datetime) -> tuple[ApiToken, User] | None:
    if not raw.startswith(TOKEN_PREFIX) or len(raw) > 128:
        return None
    row = session.scalars(select(ApiToken).where(ApiToken.token_hash == digest(raw))).first()
    if row is None or row.revoked_at is not None:
        return None
    user = session.get(User, row.user_id)
    if user is None or user.disabled:
        return None
    if row.last_used_at is None or now - row.last_used_at >= TOUCH_EVERY:
        row.last_used_at = now
    return row, user


def revoke_token(session: Session, user: User, token_id: int, now: datetime) -> None:
    row = session.get(ApiToken, token_id)
    if row is None or row.user_id != user.id:
        raise InputError(f"option --revoke: {user.name} has no token #{token_id}")
    row.revoked_at = row.revoked_at or now


# --- the login throttle ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Throttle:
    max_per_account: int
    max_per_address: int
    window: timedelta


def throttle_of(settings: Any) -> Throttle:
    """The login lockout from the config's `console:` (the console's and the CLI's logins alike)."""
    return Throttle(
        max_per_account=settings.login_max_failures,
        max_per_address=settings.address_max_failures,
        window=timedelta(minutes=settings.login_window_minutes),
    )


@dataclass
class Locked:
    what: str  # "account" | "address"
    until: datetime
    counts: dict[str, int] = field(default_factory=dict)


def account_key(name: str) -> str:
    return "".join(c for c in name.strip().casefold() if c.isprintable())[:64] or "-"


def locked_out(session: Session, name: str, address: str, now: datetime, throttle: Throttle) -> Locked | None:
    """Is this account or address locked out now? Asked before the password is checked, so a locked
    account gives nothing away about a right guess."""
    since = now - throttle.window
    for what, column, key, limit in (
        ("account", LoginFailure.account, account_key(name), throttle.max_per_account),
        ("address", LoginFailure.address, address[:64], throttle.max_per_address),
    ):
        count, last = session.execute(
            select(func.count(), func.max(LoginFailure.at)).where(column == key, LoginFailure.at > since)
        ).one()
        if count >= limit and last is not None:
            return Locked(what, last + throttle.window, {what: count})
    return None


def record_failure(session: Session, name: str, address: str, now: datetime) -> None:
    session.add(LoginFailure(at=now, account=account_key(name), address=address[:64] or "-"))
    session.flush()


def clear_failures(session: Session, name: str) -> None:
    """A good login (or a new password) forgets the account's bad ones; the address's stay counted."""
    session.execute(delete(LoginFailure).where(LoginFailure.account == account_key(name)))


def forget_old_failures(session: Session, now: datetime, keep: timedelta) -> None:
    session.execute(delete(LoginFailure).where(LoginFailure.at < now - keep))
