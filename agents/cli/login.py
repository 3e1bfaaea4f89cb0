"""`sigap login`, `sigap logout`, `sigap whoami`: the CLI as a console user (agents/cli/acting.py says
what being logged in changes)."""

from __future__ import annotations

import sys
from typing import Any

import click
from sqlalchemy.orm import Session

from sop_registry.errors import InputError

from .acting import (
    forget,
    ledger_key,
    logged_in,
    login_address,
    read_store,
    stored,
    write_store,
)
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
        now, where = _now(), login_address()
        locked = accounts.locked_out(session, name, where, now, accounts.throttle_of(config.console))
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
            session, user, now, accounts.timeouts_of(config.console), address=where, user_agent="sigap CLI"
        )
        data = read_store()
        old = data.get(ledger_key(config))
        if old is not None:
            accounts.revoke_session(session, old, now)  # one CLI login per ledger: the earlier one ends
        data[ledger_key(config)] = raw
        write_store(data)
        click.echo(_t(obj, "in", display=user.display_name, name=user.name, role=user.role))


@click.command("logout")
@click.pass_obj
@bad_input_exits
def logout(obj: Context) -> None:
    """End the CLI's login.

    The session is revoked in the ledger too."""
    from agents.console import accounts

    config = obj.config()
    raw = stored(config)
    if raw is None:
        click.echo(_t(obj, "none"))
        return
    with _ledger(obj) as (config, engine), Session(engine) as session, session.begin():
        found = accounts.session_user(session, raw, _now(), accounts.timeouts_of(config.console))
        name = found[1].name if found else "-"
        accounts.revoke_session(session, raw, _now())
    forget(config)
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
