"""Who the CLI acts as: the user of `sigap login` (agents/cli/login.py), or `--by`.

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
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from sop_registry.errors import InputError

from ..config import Config
from .common import now as _now

# --- where the login is kept ---------------------------------------------------------------------


def _store() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "sigap" / "logins.json"


def ledger_key(config: Config) -> str:
    """The ledger a login belongs to: its URL without the password, hashed."""
    url = make_url(config.database_url()).render_as_string(hide_password=True)
    return hashlib.sha256(url.encode()).hexdigest()[:32]


def read_store() -> dict[str, str]:
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


def write_store(data: dict[str, str]) -> None:
    path = _store()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temp = path.with_suffix(".tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(data, handle)
    os.replace(temp, path)


def stored(config: Config) -> str | None:
    return read_store().get(ledger_key(config))


def forget(config: Config) -> None:
    data = read_store()
    if data.pop(ledger_key(config), None) is not None:
        write_store(data)


def login_address() -> str:
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
    raw = stored(config)
    if raw is None:
        return None
    from agents.console import accounts

    found = accounts.session_user(session, raw, _now(), accounts.timeouts_of(config.console))
    if found is None:
        forget(config)
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
