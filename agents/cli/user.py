"""`sigap user ...`: the console's people. There is no default account: the first admin is made here.

Bad input (an unknown role, OPD or pelaksana, a short password, a name already taken) is one line
naming the argument, exit 2. A password is read from standard input with --password-stdin (one
line), else asked twice on the terminal; it is never an argument, so it stays out of shell history
and `ps`.
"""

from __future__ import annotations

import sys

import click
from sqlalchemy import select
from sqlalchemy.orm import Session

from sop_registry.errors import InputError

from .cases import _ledger
from .common import Context, _json_out, bad_input_exits
from .common import now as _now

# What the operator reads; the Indonesian is the default (office.language / --lang).
TEXTS = {
    "id": {
        "added": "Pengguna {name} ({role}) dibuat.",
        "disabled": "Pengguna {name} dinonaktifkan; {n} sesi/token dicabut.",
        "enabled": "Pengguna {name} diaktifkan kembali.",
        "passwd": "Kata sandi {name} diganti; {n} sesi diakhiri.",
        "token": "Token #{id} ({scope}) untuk {name}; hanya ditampilkan sekali:",
        "revoked": "Token #{id} milik {name} dicabut.",
        "header": "Nama\tNama tampilan\tPeran\tOPD\tBertindak sebagai\tStatus",
        "active": "aktif",
        "off": "nonaktif",
        "count": "{n} pengguna",
        "prompt": "Kata sandi untuk {name}",
        "totp_uri": "Pindai URI ini (atau kode QR-nya) dengan aplikasi autentikator untuk {name}:",
        "totp_secret": "Atau masukkan kunci ini secara manual (berbasis waktu, 6 digit, 30 detik):",
        "totp_ask": "Kode 6 digit dari aplikasi",
        "totp_on": "Verifikasi dua langkah {name} aktif; {n} sesi lain diakhiri.",
        "totp_off": "Verifikasi dua langkah {name} dinonaktifkan (diatur ulang).",
        "totp_none": "{name} belum memakai verifikasi dua langkah.",
        "totp_col": "2FA",
    },
    "en": {
        "added": "User {name} ({role}) created.",
        "disabled": "User {name} disabled; {n} sessions/tokens revoked.",
        "enabled": "User {name} enabled again.",
        "passwd": "Password of {name} changed; {n} sessions ended.",
        "token": "Token #{id} ({scope}) for {name}; shown only once:",
        "revoked": "Token #{id} of {name} revoked.",
        "header": "Name\tDisplay name\tRole\tOPD\tActs as\tStatus",
        "active": "active",
        "off": "disabled",
        "count": "{n} users",
        "prompt": "Password for {name}",
        "totp_uri": "Scan this URI (or its QR code) with an authenticator app for {name}:",
        "totp_secret": "Or enter this key by hand (time-based, 6 digits, 30 seconds):",
        "totp_ask": "6-digit code from the app",
        "totp_on": "Two-step verification of {name} is on; {n} other sessions ended.",
        "totp_off": "Two-step verification of {name} is off (reset).",
        "totp_none": "{name} has no two-step verification.",
        "totp_col": "2FA",
    },
}


def _t(obj: Context, key: str, **values: object) -> str:
    return TEXTS.get(obj.lang, TEXTS["id"])[key].format(**values)


def _password(obj: Context, name: str, from_stdin: bool) -> str:
    from agents.console.accounts import check_password

    if from_stdin:
        line = sys.stdin.readline()
        return check_password(line.rstrip("\r\n"))
    if not sys.stdin.isatty():
        raise InputError(
            "option --password-stdin: no terminal to ask the password on; pipe it with --password-stdin"
        )
    typed = click.prompt(_t(obj, "prompt", name=name), hide_input=True, confirmation_prompt=True)
    return check_password(typed, "password")


def _known_opds(config) -> set[str]:
    targets = config.targets
    opds = {w.opd for w in targets.websites} | {link.opd for link in targets.links}
    opds |= {s.opd for s in targets.servers if s.opd} | {e.opd for e in targets.tls_endpoints if e.opd}
    return opds


def _known_pelaksana(registry) -> set[str]:
    names: set[str] = set()
    for sop in registry.values():
        names |= set(sop.pelaksana)
        for step in sop.steps:
            names |= set(step.actors)
    return names


@click.group()
def user() -> None:
    """The console's users: roles, passwords and API tokens."""


@user.command("add")
@click.argument("name")
@click.option("--role", required=True, help="admin | kepala_bidang | teknisi | admin_opd | viewer")
@click.option("--opd", "opds", multiple=True, help="An OPD an admin_opd sees (repeat for several).")
@click.option("--acts-as", "acts_as", multiple=True, help="An SOP pelaksana this user acts as (repeatable).")
@click.option("--display-name", help="The name the case log shows (default: NAME).")
@click.option("--email")
@click.option("--phone", help="08... or +628...")
@click.option("--telegram-id", help="The user's Telegram chat id.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input (one line).")
@click.pass_obj
@bad_input_exits
def user_add(
    obj: Context,
    name: str,
    role: str,
    opds: tuple[str, ...],
    acts_as: tuple[str, ...],
    display_name: str | None,
    email: str | None,
    phone: str | None,
    telegram_id: str | None,
    password_stdin: bool,
) -> None:
    """Make a user (the first admin too: there is no default account)."""
    from agents.console import accounts

    config = obj.config()
    new = accounts.check_new_user(
        accounts.NewUser(name, role, display_name, opds, acts_as, email, phone, telegram_id),
        known_opds=_known_opds(config),
        known_pelaksana=_known_pelaksana(obj.registry()),
    )
    with _ledger(obj) as (_config, engine), Session(engine) as session:
        if accounts.find_user(session, new.name) is not None:
            raise InputError(f"argument NAME: user {new.name!r} already exists")
        password = _password(obj, new.name, password_stdin)
        accounts.add_user(session, new, password, _now())
        session.commit()
    click.echo(_t(obj, "added", name=new.name, role=new.role))


@user.command("list")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
@bad_input_exits
def user_list(obj: Context, as_json: bool) -> None:
    """The users, with role, OPDs, pelaksana and whether they are enabled."""
    from agents.console.accounts import user_summary
    from sop_registry.ledger.models import User

    with _ledger(obj, read_only=True) as (_config, engine), Session(engine) as session:
        rows = [user_summary(u) for u in session.scalars(select(User).order_by(User.name))]
    if as_json:
        _json_out(rows)
        return
    click.echo(_t(obj, "header"))
    for r in rows:
        status = _t(obj, "off") if r["disabled"] else _t(obj, "active")
        status += ", TOTP" * r["totp"] + ", SSO" * r["sso"]
        cells = [r["name"], r["display_name"], r["role"], ", ".join(r["opds"]) or "-"]
        click.echo("\t".join([*cells, ", ".join(r["acts_as"]) or "-", status]))
    click.echo(_t(obj, "count", n=len(rows)))


@user.command("disable")
@click.argument("name")
@click.option("--enable", is_flag=True, help="Enable the user again instead.")
@click.pass_obj
@bad_input_exits
def user_disable(obj: Context, name: str, enable: bool) -> None:
    """Disable a user: its sessions end and its tokens are revoked at once."""
    from agents.console import accounts

    with _ledger(obj) as (_config, engine), Session(engine) as session:
        found = accounts.get_user(session, name)
        count = accounts.set_disabled(session, found, not enable, _now())
        session.commit()
    click.echo(_t(obj, "enabled", name=name) if enable else _t(obj, "disabled", name=name, n=count))


@user.command("passwd")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the new password from standard input.")
@click.pass_obj
@bad_input_exits
def user_passwd(obj: Context, name: str, password_stdin: bool) -> None:
    """Set a user's password: its sessions end and its login lockout is lifted."""
    from agents.console import accounts

    with _ledger(obj) as (_config, engine), Session(engine) as session:
        found = accounts.get_user(session, name)
        password = _password(obj, name, password_stdin)
        count = accounts.set_password(session, found, password, _now())
        session.commit()
    click.echo(_t(obj, "passwd", name=name, n=count))


@user.command("token")
@click.argument("name")
@click.option("--scope", default="read", show_default=True, help="read | write")
@click.option("--label", help="What the token is for (shown in the list).")
@click.option("--revoke", "revoke_id", help="Revoke the user's token with this number instead.")
@click.pass_obj
@bad_input_exits
def user_token(obj: Context, name: str, scope: str, label: str | None, revoke_id: str | None) -> None:
    """Make an API token for /api/v1 (printed once, alone on the last line)."""
    from agents.console import accounts

    with _ledger(obj) as (_config, engine), Session(engine) as session:
        found = accounts.get_user(session, name)
        if revoke_id is not None:
            if not revoke_id.isdigit():
                raise InputError(f"option --revoke: {revoke_id!r} is not a token number")
            accounts.revoke_token(session, found, int(revoke_id), _now())
            session.commit()
            click.echo(_t(obj, "revoked", id=revoke_id, name=name))
            return
        if found.disabled:
            raise InputError(f"argument NAME: user {name!r} is disabled")
        raw, row = accounts.new_token(session, found, scope, _now(), label)
        session.commit()
        click.echo(_t(obj, "token", id=row.id, scope=row.scope, name=name))
    click.echo(raw)


@user.command("totp")
@click.argument("name")
@click.option("--disable", is_flag=True, help="Turn the user's second factor off (a lost phone).")
@click.pass_obj
@bad_input_exits
def user_totp(obj: Context, name: str, disable: bool) -> None:
    """Turn on a TOTP second factor: prints the otpauth:// URI and the key, then asks for a first code
    on standard input to confirm (nothing is stored until it is right); --disable resets it."""
    from agents.console import accounts, totp

    with _ledger(obj) as (config, engine), Session(engine) as session:
        found = accounts.get_user(session, name)
        now = _now()
        if disable:
            was = totp.disable(found, now)
            session.commit()
            click.echo(_t(obj, "totp_off" if was else "totp_none", name=name))
            return
        if found.disabled:
            raise InputError(f"argument NAME: user {name!r} is disabled")
        office = config.office
        enrolment = totp.start(found, f"Sigap {office.short_name or office.name}"[:64], now)
        click.echo(_t(obj, "totp_uri", name=name))
        click.echo(enrolment.uri)
        if sys.stdout.isatty():
            import segno

            segno.make(enrolment.uri, error="m").terminal(compact=True)
        click.echo(_t(obj, "totp_secret"))
        click.echo(enrolment.secret)
        code = _code(obj)
        if not totp.confirm(session, found, code, _now()):
            raise InputError("code: it does not match the key (check the phone's clock); nothing was changed")
        ended = accounts.revoke_sessions(session, found, _now())
        session.commit()
    click.echo(_t(obj, "totp_on", name=name, n=ended))


def _code(obj: Context) -> str:
    if sys.stdin.isatty():
        return click.prompt(_t(obj, "totp_ask"))
    line = sys.stdin.readline()
    if not line:
        raise InputError("code: no first code on standard input to confirm the key; nothing was changed")
    return line.strip()
