"""`sigap login`, `sigap logout`, `sigap whoami`: the CLI as a console user.

Logged in, what the CLI does is the user's: `--by` becomes the user's display name (the name the
console records), the user's role must allow the move (a viewer cannot `sigap case ack`), and an OPD
admin reaches its own OPDs' cases only. Not logged in, the CLI works as before: a shell on the
server is the office's trust, and `--by` names who acted.

The login is a console session (user_sessions, the console's idle and absolute timeouts, ended by
`sigap logout`, a new password or disabling the user, as a browser's is), opened with the password
(and the second factor, when the user has one) under the same lockout. Its raw id is kept in
`$XDG_CONFIG_HOME/sigap/logins.json` (default `~/.config/sigap/`, 0600), one per ledger, so a login
to one office's ledger is not one to another's.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import os
import socket
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import click
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from sop_registry.errors import InputError

from ..config import Config
from .cases import _ledger, _now
from .common import Context, bad_input_exits

EXIT_REFUSED = 1  # a wrong password or code, a locked account

TEXTS = {
    "id": {
        "prompt": "Kata sandi {name}",
        "code": "Kode 6 digit dari aplikasi autentikator",
        "in": "Masuk sebagai {display} ({name}, {role}); tindakan di CLI dicatat atas nama ini.",
        "out": "Keluar ({name}).",
        "none": "Belum masuk; tindakan dicatat dengan --by.",
        "refused": "nama atau kata sandi salah",
        "locked": "terlalu banyak percobaan gagal; coba lagi setelah {until}",
    },
    "en": {
        "prompt": "Password of {name}",
        "code": "6-digit code from the authenticator app",
        "in": "Logged in as {display} ({name}, {role}); what the CLI does is recorded as this user.",
        "out": "Logged out ({name}).",
        "none": "Not logged in; actions are recorded with --by.",
        "refused": "wrong name or password",
        "locked": "too many failed attempts; try again after {until}",
    },
}


def _t(obj: Context, key: str, **values: Any) -> str:
    return TEXTS.get(obj.lang, TEXTS["id"])[key].format(**values)


# --- where the login is kept ---------------------------------------------------------------------


def _store() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "sigap" / "logins.json"


def _ledger_key(config: Config) -> str:
    """The ledger a login belongs to: its URL without the password, hashed."""
    url = make_url(config.database_url()).render_as_string(hide_password=True)
    return hashlib.sha256(url.encode()).hexdigest()[:32]


def _read_store() -> dict[str, str]:
    path = _store()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: cannot read the CLI's logins ({exc}); remove it, log in again") from None
    if not isinstance(data, dict):
        return {}
    return {k: v for k, v in data.items() if isinstance(k, str) and isinstance(v, str)}


def _write_store(data: dict[str, str]) -> None:
    path = _store()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temp = path.with_suffix(".tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(data, handle)
    os.replace(temp, path)


def _stored(config: Config) -> str | None:
    return _read_store().get(_ledger_key(config))


def _forget(config: Config) -> None:
    data = _read_store()
    if data.pop(_ledger_key(config), None) is not None:
        _write_store(data)


def _timeouts(config: Config):
    from agents.console import accounts

    settings = config.console
    return accounts.Timeouts(
        idle=timedelta(minutes=settings.session_idle_minutes),
        absolute=timedelta(hours=settings.session_max_hours),
    )


def _where() -> str:
    """Who typed it, as the session's address: the shell's user on this machine."""
    try:
        who = os.environ.get("SUDO_USER") or getpass.getuser()
    except (KeyError, OSError):
        who = "?"
    return f"cli:{who}@{socket.gethostname()}"[:64]


# --- acting as the logged-in user ---------------------------------------------------------------


def logged_in(config: Config, session: Session) -> Any | None:
    """The user of this ledger's CLI login, or None when nobody is logged in. A login that has ended
    (idle, past its end, logged out in the console, the user disabled) is forgotten and refused."""
    raw = _stored(config)
    if raw is None:
        return None
    from agents.console import accounts

    found = accounts.session_user(session, raw, _now(), _timeouts(config))
    if found is None:
        _forget(config)
        raise InputError("sigap login: the CLI's login has ended; log in again (sigap login NAME)")
    return found[1]


def actor(
    config: Config,
    session: Session,
    by: str | None,
    action: str,
    *,
    case: Any = None,
    required: bool = False,
    default: str = "operator",
) -> str:
    """Who the move is recorded as. Logged in: the user (its role must allow `action`; an OPD admin
    only on its own OPDs' cases); else `--by` (or `default`; `required`: --by must be given)."""
    user = logged_in(config, session)
    if user is None:
        if by is None or not by.strip():
            if required:
                raise InputError("option --by: who does it (a name), or log in first with sigap login NAME")
            return default
        return by.strip()
    if by is not None and by.strip() not in (user.name, user.display_name):
        raise InputError(
            f"option --by: logged in as {user.name}; what you do is recorded as that user "
            "(sigap logout first to act under another name)"
        )
    from agents.console import permissions

    if not permissions.allowed(user.role, action):
        raise InputError(f"sigap login: {user.name} ({user.role}) may not {action.replace('_', ' ')}")
    if case is not None and not permissions.sees_everything(user.role):
        from ..notify.contacts import Directory

        if not permissions.in_scope(user.role, user.opds or (), Directory.of(config).opd(case)):
            raise InputError(f"argument ID: no case #{case.id}")  # as the console: not there for it
    return user.display_name


# --- the commands ------------------------------------------------------------------------------------


@click.command("login")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input (one line).")
@click.option("--code", help="The second factor's 6-digit code (asked when needed).")
@click.pass_obj
@bad_input_exits
def login(obj: Context, name: str, password_stdin: bool, code: str | None) -> None:
    """Log in as a console user: what the CLI does is then that user's, within its role."""
    from agents.console import accounts, totp

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    elif sys.stdin.isatty():
        password = click.prompt(_t(obj, "prompt", name=name), hide_input=True)
    else:
        raise InputError(
            "option --password-stdin: no terminal to ask the password on; pipe it with --password-stdin"
        )
    with _ledger(obj) as (config, engine), Session(engine) as session, session.begin():
        now, where = _now(), _where()
        throttle = accounts.Throttle(
            max_per_account=config.console.login_max_failures,
            max_per_address=config.console.address_max_failures,
            window=timedelta(minutes=config.console.login_window_minutes),
        )
        locked = accounts.locked_out(session, name, where, now, throttle)
        if locked is not None:
            until = config.office.local_text(locked.until)
            click.echo(f"sigap: error: {_t(obj, 'locked', until=until)}", err=True)
            sys.exit(EXIT_REFUSED)
        user = accounts.find_user(session, name.strip())
        good = accounts.verify_password(user, password) and user is not None and not user.disabled
        if good and totp.enabled(user):
            if code is None and sys.stdin.isatty() and not password_stdin:
                code = click.prompt(_t(obj, "code"))
            good = totp.verify(session, user, code, now)
        if not good:
            accounts.record_failure(session, name, where, now)
            session.commit()
            click.echo(f"sigap: error: {_t(obj, 'refused')}", err=True)
            sys.exit(EXIT_REFUSED)
        accounts.clear_failures(session, name)
        accounts.upgrade_hash(user, password)
        raw, _row = accounts.open_session(
            session, user, now, _timeouts(config), address=where, user_agent="sigap CLI"
        )
        data = _read_store()
        old = data.get(_ledger_key(config))
        if old is not None:
            accounts.revoke_session(session, old, now)  # one CLI login per ledger: the earlier one ends
        data[_ledger_key(config)] = raw
        _write_store(data)
        click.echo(_t(obj, "in", display=user.display_name, name=user.name, role=user.role))


@click.command("logout")
@click.pass_obj
@bad_input_exits
def logout(obj: Context) -> None:
    """End the CLI's login.

    The session is revoked in the ledger too."""
    from agents.console import accounts

    config = obj.config()
    raw = _stored(config)
    if raw is None:
        click.echo(_t(obj, "none"))
        return
    with _ledger(obj) as (config, engine), Session(engine) as session, session.begin():
        found = accounts.session_user(session, raw, _now(), _timeouts(config))
        name = found[1].name if found else "-"
        accounts.revoke_session(session, raw, _now())
    _forget(config)
    click.echo(_t(obj, "out", name=name))


@click.command("whoami")
@click.pass_obj
@bad_input_exits
def whoami(obj: Context) -> None:
    """Who the CLI acts as: the logged-in user, or nobody (exit 1)."""
    with _ledger(obj, read_only=True) as (config, engine), Session(engine) as session, session.begin():
        user = logged_in(config, session)
        if user is None:
            click.echo(_t(obj, "none"))
            sys.exit(1)
        click.echo(f"{user.name}\t{user.display_name}\t{user.role}\t{','.join(user.opds or ()) or '-'}")
