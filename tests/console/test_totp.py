"""The optional TOTP second factor (RFC 6238), on SQLite and PostgreSQL: enrolled on the account's
own page (the QR code an SVG image under the console's CSP), then asked for after the password in a
half-login that opens nothing; a code is good once (the last accepted time-step is kept), bad codes
count in the login throttle per account, and turning it off takes the password and a code. `sigap
user totp` enrols from the shell (the first code on standard input) and resets (--disable). One
real-browser run (Debian's chromium) enrols and logs in with a code.
"""

from __future__ import annotations

import itertools
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import pytest
import yaml
from helpers.cli import REPO, clean_env
from helpers.console import config_data, csrf_of, make_world
from sqlalchemy import select
from sqlalchemy.orm import Session

from agents.console import accounts, totp
from sop_registry.ledger import connect, upgrade
from sop_registry.ledger.models import LoginFailure, User, UserSession

_counter = itertools.count(1)
_names = itertools.count(1)
PASSWORD = "kata-sandi-totp-1"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def world(request, tmp_path_factory):
    tmp = tmp_path_factory.mktemp(f"totp-{request.param}")
    if request.param == "sqlite":
        url = f"sqlite:///{tmp / 'ledger.db'}"
    else:
        url = request.getfixturevalue("pg_server").create_database(f"sigap_totp_{next(_counter)}")
    w = make_world(tmp, url, report=False)
    yield w
    w.close()


def _new_user(world, role: str = "teknisi") -> str:
    """A new user for one test; the bad attempts counted so far are forgotten (the tests share the
    test client's address, which the throttle counts too)."""
    name = f"dua{next(_names)}"
    with Session(world.engine) as session, session.begin():
        session.query(LoginFailure).delete()
        accounts.add_user(session, accounts.NewUser(name, role, f"Petugas {name}"), PASSWORD, world.clock())
    world.passwords[name] = PASSWORD
    return name


def _row(world, name: str) -> User:
    with Session(world.engine) as session:
        return accounts.find_user(session, name)


def _code(world, name: str, *, at: datetime | None = None) -> str:
    return totp.code_at(_row(world, name).totp_secret, at or world.clock())


def _enrolled(world, name: str) -> str:
    """Enrol through the console's own pages, as the user would; returns the secret."""
    client, reply = world.login(name)
    assert reply.status_code == 303 and reply.headers["location"] == "/cases"
    page = client.get("/account")
    assert client.post("/account/totp/start", data={"csrf": csrf_of(page.text)}).status_code == 303
    secret = _row(world, name).totp_pending
    reply = client.post(
        "/account/totp/confirm",
        data={"csrf": csrf_of(page.text), "code": totp.code_at(secret, world.clock())},
    )
    assert reply.headers["location"] == "/account?done=totp_enabled", reply.text[:500]
    client.close()
    world.clock.advance(seconds=30)  # the confirming code is spent: the next login uses a new one
    return secret


def _password_step(world, name: str, password: str | None = None):
    client, reply = world.login(name, password)
    return client, reply


def _code_step(client, code: str):
    page = client.get("/login/totp")
    assert page.status_code == 200, page.text[:300]
    return client.post("/login/totp", data={"csrf": csrf_of(page.text), "code": code})


# --- RFC 6238 itself ---------------------------------------------------------------------------------


def test_codes_are_rfc_6238s():
    # RFC 6238 appendix B, SHA-1, secret "12345678901234567890"; 6 digits are the 8's last six.
    secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
    for at, eight in [
        (59, "94287082"),
        (1111111109, "07081804"),
        (1234567890, "89005924"),
        (2000000000, "69279037"),
    ]:
        assert totp.code_at(secret, datetime.fromtimestamp(at, UTC)) == eight[-6:]
    at = datetime.fromtimestamp(1111111109, UTC)
    step = totp.step_of(at)
    assert totp.matching_step(secret, "081 804", at) == step  # the app's "081 804"
    assert totp.matching_step(secret, totp.code_at(secret, at - timedelta(seconds=30)), at) == step - 1
    assert totp.matching_step(secret, totp.code_at(secret, at + timedelta(seconds=30)), at) == step + 1
    assert totp.matching_step(secret, totp.code_at(secret, at - timedelta(seconds=60)), at) is None
    assert totp.matching_step(secret, "081804", at, after=step) is None  # spent
    for bad in ("", "12345", "1234567", "08180a", "٠٨١٨٠٤", None, 81804):
        assert totp.matching_step(secret, bad, at) is None
    assert len(totp.new_secret()) == 32 and totp.new_secret() != totp.new_secret()


def test_migration_0008_keeps_accounts_sessions_and_tokens_both_ways(db_url):
    """Up and down on a ledger with people in it: no copy of `users` whose cascade empties the
    sessions and tokens (SQLite's batch mode would)."""
    from alembic import command

    from sop_registry.ledger.db import _alembic_config
    from sop_registry.ledger.models import ApiToken

    engine = connect(db_url)
    upgrade(engine, "0007")
    now = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)
    with engine.begin() as conn:
        conn.execute(
            User.__table__.insert(),
            {"name": "ani", "display_name": "Ani", "role": "admin", "opds": [], "acts_as": [],
             "password_hash": "x", "disabled": False, "created_at": now, "updated_at": now},
        )  # fmt: skip
        user_id = conn.execute(select(User.__table__.c.id)).scalar_one()
        conn.execute(
            UserSession.__table__.insert(),
            {"user_id": user_id, "token_hash": "a" * 64, "csrf_token": "c", "created_at": now,
             "last_seen_at": now, "expires_at": now + timedelta(hours=1)},
        )  # fmt: skip
        conn.execute(
            ApiToken.__table__.insert(),
            {"user_id": user_id, "token_hash": "b" * 64, "scope": "read", "created_at": now},
        )
    assert upgrade(engine) == ("0007", "0008")
    with Session(engine) as session, session.begin():
        ani = accounts.find_user(session, "ani")
        assert (ani.totp_secret, ani.oidc_subject) == (None, None)
        ani.totp_secret = totp.new_secret()
    command.downgrade(_alembic_config(engine), "0007")
    with engine.connect() as conn:
        assert conn.execute(User.__table__.select().with_only_columns(User.name)).scalars().all() == ["ani"]
        assert conn.execute(UserSession.__table__.select()).first() is not None
        assert conn.execute(ApiToken.__table__.select()).first() is not None
    assert upgrade(engine) == ("0007", "0008")
    engine.dispose()


# --- the console ---------------------------------------------------------------------------------------


def test_enrol_on_the_account_page_then_login_asks_for_the_code(world):
    name = _new_user(world)
    other, _ = world.login(name)  # a session opened with the password alone, before the second factor
    client, _ = world.login(name)
    page = client.get("/account")
    assert (
        page.status_code == 200
        and "Verifikasi dua langkah (TOTP)" in page.text
        and "Belum aktif." in page.text
    )
    assert "'unsafe-inline'" not in page.headers["content-security-policy"]
    assert client.get("/account/totp/qr.svg").status_code == 404  # nothing being enrolled yet
    assert client.post("/account/totp/start", data={"csrf": csrf_of(page.text)}).status_code == 303
    page = client.get("/account")
    assert '<img class="qr" src="/account/totp/qr.svg"' in page.text
    pending = _row(world, name).totp_pending
    assert pending and _row(world, name).totp_secret is None
    shown = re.search(r'<code class="secret">([A-Z2-7 ]+)</code>', page.text).group(1)
    assert shown.replace(" ", "") == pending
    qr = client.get("/account/totp/qr.svg")
    assert qr.status_code == 200 and qr.headers["content-type"].startswith("image/svg+xml")
    assert qr.headers["cache-control"] == "no-store"
    svg = ET.fromstring(qr.content)
    assert svg.tag == "{http://www.w3.org/2000/svg}svg" and b"<script" not in qr.content
    # a wrong first code changes nothing
    reply = client.post("/account/totp/confirm", data={"csrf": csrf_of(page.text), "code": "000000"})
    assert reply.status_code == 400 and "Kode tidak cocok" in reply.text
    assert _row(world, name).totp_secret is None
    code = totp.code_at(pending, world.clock())
    reply = client.post("/account/totp/confirm", data={"csrf": csrf_of(page.text), "code": code})
    assert reply.status_code == 303 and reply.headers["location"] == "/account?done=totp_enabled"
    row = _row(world, name)
    assert row.totp_secret == pending and row.totp_pending is None
    assert row.totp_last_step == totp.step_of(world.clock()) and row.totp_enabled_at == world.clock()
    assert "Verifikasi dua langkah aktif" in client.get("/account?done=totp_enabled").text
    assert client.get("/cases").status_code == 200  # this session goes on...
    assert other.get("/cases").status_code == 303  # ...the one opened with the password alone ended
    # English too
    client.get("/lang/en?next=/account")
    assert "Two-step verification (TOTP)" in client.get("/account").text

    # the next login: the password gives a half-login, no session
    world.clock.advance(seconds=30)
    fresh, reply = _password_step(world, name)
    assert reply.status_code == 303 and reply.headers["location"] == "/login/totp"
    assert "sigap_session" not in fresh.cookies and "sigap_mfa" in fresh.cookies
    assert fresh.get("/cases").status_code == 303  # the half-login opens nothing
    assert fresh.get("/account").status_code == 303
    assert fresh.get("/api/v1/cases").status_code == 401
    page = fresh.get("/login/totp")
    assert f"untuk Petugas {name}" in page.text and 'autocomplete="one-time-code"' in page.text
    reply = fresh.post("/login/totp", data={"csrf": csrf_of(page.text), "code": "123456"})
    assert reply.status_code == 401 and "Kode salah atau sudah dipakai" in reply.text
    reply = _code_step(fresh, _code(world, name))
    assert reply.status_code == 303 and reply.headers["location"] == "/cases"
    assert "sigap_session" in fresh.cookies
    assert fresh.get("/cases").status_code == 200
    with Session(world.engine) as session:  # the good code forgot the bad one
        assert session.query(LoginFailure).filter_by(account=name).count() == 0
    for c in (client, other, fresh):
        c.close()


def test_a_code_is_good_once(world):
    name = _new_user(world)
    _enrolled(world, name)
    code = _code(world, name)
    first, _ = _password_step(world, name)
    assert _code_step(first, code).status_code == 303
    # the same code, seen over a shoulder, in a second browser within its 30 seconds: refused
    second, _ = _password_step(world, name)
    reply = _code_step(second, code)
    assert reply.status_code == 401 and "sigap_session" not in second.cookies
    # and so is the code of the step before (still inside the window, but older than the one used)
    earlier = _code(world, name, at=world.clock() - timedelta(seconds=30))
    assert _code_step(second, earlier).status_code == 401
    world.clock.advance(seconds=30)
    assert _code_step(second, _code(world, name)).status_code == 303
    assert _row(world, name).totp_last_step == totp.step_of(world.clock())
    first.close()
    second.close()


def test_the_step_is_taken_once_even_by_two_requests_at_once(world):
    """Two instances checking the same code at the same moment: the guarded update lets one in."""
    name = _new_user(world)
    _enrolled(world, name)
    code, now = _code(world, name), world.clock()
    with Session(world.engine) as a, Session(world.engine) as b:
        user_a, user_b = accounts.find_user(a, name), accounts.find_user(b, name)  # both read the old step
        assert totp.verify(a, user_a, code, now)
        a.commit()
        assert not totp.verify(b, user_b, code, now)
        b.commit()


def test_bad_codes_count_in_the_login_throttle(world):
    """login_max_failures is 3 here: three bad codes lock the account, whatever the code after; a
    right password in between does not forget them (a thief with the password gets no more guesses)."""
    name = _new_user(world)
    _enrolled(world, name)
    client, _ = _password_step(world, name)
    assert _code_step(client, "111111").status_code == 401
    client, _ = _password_step(world, name, None)  # the right password again: still counted
    assert _code_step(client, "222222").status_code == 401
    assert _code_step(client, "333333").status_code == 401
    reply = _code_step(client, _code(world, name))
    assert reply.status_code == 429 and "Terlalu banyak percobaan" in reply.text
    assert "sigap_session" not in client.cookies
    _, reply = _password_step(world, name)  # the password form is locked for the account too
    assert reply.status_code == 429
    world.clock.advance(minutes=16)  # the window has passed since the last bad code
    client, reply = _password_step(world, name)
    assert reply.headers["location"] == "/login/totp"
    assert _code_step(client, _code(world, name)).status_code == 303
    client.close()


def test_the_half_login_expires_and_ends_with_a_new_password(world):
    name = _new_user(world)
    _enrolled(world, name)
    client, _ = _password_step(world, name)
    page = client.get("/login/totp")
    world.clock.advance(minutes=6)
    reply = client.post("/login/totp", data={"csrf": csrf_of(page.text), "code": _code(world, name)})
    assert reply.status_code == 401 and "Waktu untuk memasukkan kode sudah habis" in reply.text
    assert client.get("/login/totp").headers["location"] == "/login"
    # a half-login made before the password changed is worth nothing after
    client, _ = _password_step(world, name)
    with Session(world.engine) as session, session.begin():
        accounts.set_password(session, accounts.find_user(session, name), "sandi-yang-baru-2", world.clock())
    assert client.get("/login/totp").headers["location"] == "/login"
    # a forged half-login cookie (not signed by the console) is nothing either
    forged = world.client()
    forged.cookies.set("sigap_mfa", '{"u": 1, "at": 0}')
    assert forged.get("/login/totp").headers["location"] == "/login"
    world.passwords[name] = "sandi-yang-baru-2"
    client, reply = _password_step(world, name)
    assert _code_step(client, _code(world, name)).status_code == 303
    client.close()


def test_turning_it_off_takes_the_password_and_a_code(world):
    name = _new_user(world)
    _enrolled(world, name)
    client, _ = _password_step(world, name)
    assert _code_step(client, _code(world, name)).status_code == 303
    world.clock.advance(seconds=30)
    page = client.get("/account")
    assert "Nonaktifkan verifikasi dua langkah" in page.text and "sigap user totp NAMA --disable" in page.text
    csrf = csrf_of(page.text)
    for password, code in [("salah-sekali-9", _code(world, name)), (PASSWORD, "000000"), (PASSWORD, "")]:
        reply = client.post("/account/totp/disable", data={"csrf": csrf, "password": password, "code": code})
        assert reply.status_code == 401 and "Kata sandi atau kode salah" in reply.text
        assert _row(world, name).totp_secret
    assert client.post("/account/totp/disable", data={"password": PASSWORD, "code": "1"}).status_code == 403
    with Session(world.engine) as session, session.begin():
        accounts.clear_failures(session, name)
    reply = client.post(
        "/account/totp/disable", data={"csrf": csrf, "password": PASSWORD, "code": _code(world, name)}
    )
    assert reply.headers["location"] == "/account?done=totp_disabled"
    row = _row(world, name)
    assert (row.totp_secret, row.totp_pending, row.totp_last_step) == (None, None, None)
    _, reply = _password_step(world, name)
    assert reply.headers["location"] == "/cases"  # the password alone again
    client.close()


def test_an_admin_resets_a_lost_second_factor_on_the_users_page(world):
    name = _new_user(world)
    _enrolled(world, name)
    admin = _new_user(world, "admin")
    client, reply = world.login(admin)
    _, reply = _code_step(client, "") if reply.headers.get("location") == "/login/totp" else (None, reply)
    page = client.get("/users")
    assert f'action="/users/{name}/reset-totp"' in page.text
    assert "Atur ulang verifikasi dua langkah" in page.text
    assert client.post(f"/users/{name}/reset-totp", data={}).status_code == 403  # no CSRF token
    assert _row(world, name).totp_secret
    reply = client.post(f"/users/{name}/reset-totp", data={"csrf": csrf_of(page.text)})
    assert reply.status_code == 303 and reply.headers["location"] == f"/users?done=totpreset-{name}"
    assert _row(world, name).totp_secret is None
    assert "verifikasi dua langkah diatur ulang" in client.get(reply.headers["location"]).text.lower()
    again = client.post(f"/users/{name}/reset-totp", data={"csrf": csrf_of(page.text)})
    assert again.status_code == 409  # nothing left to reset
    _, reply = _password_step(world, name)
    assert reply.headers["location"] == "/cases"  # the password alone again
    client.close()


def test_an_abandoned_enrolment_locks_nobody_out(world):
    name = _new_user(world)
    client, _ = world.login(name)
    page = client.get("/account")
    client.post("/account/totp/start", data={"csrf": csrf_of(page.text)})
    assert _row(world, name).totp_pending
    _, reply = world.login(name)
    assert reply.headers["location"] == "/cases"  # a pending secret is not a second factor yet
    client.post("/account/totp/cancel", data={"csrf": csrf_of(page.text)})
    assert _row(world, name).totp_pending is None
    assert client.get("/account/totp/qr.svg").status_code == 404
    client.close()


def test_account_pages_need_a_session_and_csrf(world):
    anonymous = world.client()
    assert anonymous.get("/account").headers["location"].startswith("/login")
    assert anonymous.get("/account/totp/qr.svg").status_code == 303
    assert anonymous.post("/account/totp/start").status_code == 403
    name = _new_user(world)
    client, _ = world.login(name)
    assert client.post("/account/totp/start", data={}).status_code == 403
    assert _row(world, name).totp_pending is None
    client.close()


# --- the CLI ------------------------------------------------------------------------------------------


def _cli(config, *args, stdin: str | None = None):
    return subprocess.run(
        [sys.executable, "-m", "agents.cli", "--config", str(config), *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=REPO,
        env=clean_env(),
        timeout=120,
    )


def test_sigap_user_totp_enrols_and_resets(tmp_path):
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    config = tmp_path / "sigap.yaml"
    config.write_text(yaml.safe_dump(config_data(tmp_path, url)))
    assert (
        _cli(
            config, "user", "add", "budi", "--role", "teknisi", "--password-stdin", stdin=PASSWORD + "\n"
        ).returncode
        == 0
    )
    # a wrong first code: one line naming it, exit 2, nothing stored
    bad = _cli(config, "user", "totp", "budi", stdin="000000\n")
    assert bad.returncode == 2 and bad.stderr.strip().startswith("sigap: error: code:"), bad.stderr
    assert "otpauth://totp/" in bad.stdout
    empty = _cli(config, "user", "totp", "budi", stdin="")
    assert empty.returncode == 2 and "no first code" in empty.stderr
    engine = connect(url)
    upgrade(engine)
    with Session(engine) as session:
        assert accounts.find_user(session, "budi").totp_secret is None
    # the real thing: read the key as printed, answer with the app's code on standard input
    process = subprocess.Popen(
        [sys.executable, "-m", "agents.cli", "--config", str(config), "user", "totp", "budi"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
        env=clean_env(),
    )
    lines = [process.stdout.readline() for _ in range(4)]
    assert lines[0].startswith("Pindai URI ini"), lines
    uri = lines[1].strip()
    assert uri.startswith("otpauth://totp/Sigap%20Diskominfo%20Uji:budi?secret="), uri
    secret = lines[3].strip()
    assert f"secret={secret}" in uri and re.fullmatch(r"[A-Z2-7]{32}", secret)
    out, err = process.communicate(totp.code_at(secret, datetime.now(UTC)) + "\n", timeout=120)
    assert process.returncode == 0, err
    assert "Verifikasi dua langkah budi aktif" in out
    with Session(engine) as session:
        row = accounts.find_user(session, "budi")
        assert row.totp_secret == secret and row.totp_last_step is not None
    listed = _cli(config, "user", "list", "--json")
    assert [u["totp"] for u in yaml.safe_load(listed.stdout)] == [True]
    again = _cli(config, "user", "totp", "budi", stdin="000000\n")
    assert again.returncode == 2 and "turn it off first" in again.stderr
    # the admin's reset for a lost phone
    reset = _cli(config, "user", "totp", "budi", "--disable")
    assert reset.returncode == 0 and "dinonaktifkan" in reset.stdout, reset.stderr
    with Session(engine) as session:
        assert accounts.find_user(session, "budi").totp_secret is None
    assert "belum memakai" in _cli(config, "user", "totp", "budi", "--disable").stdout
    missing = _cli(config, "user", "totp", "siapa")
    assert missing.returncode == 2 and missing.stderr.startswith("sigap: error: argument NAME:")
    engine.dispose()


# --- a real browser ------------------------------------------------------------------------------------


def _chromium_missing() -> str | None:
    from helpers.console_browser import chromium_missing

    return chromium_missing()


@pytest.mark.skipif(
    _chromium_missing() is not None and not os.environ.get("CI"), reason=_chromium_missing() or ""
)
def test_enrol_and_log_in_with_a_code_in_a_browser(tmp_path):
    from helpers.console_browser import PHONE, browser, login, served, shoot

    w = make_world(tmp_path, f"sqlite:///{tmp_path / 'ledger.db'}", report=False)
    try:
        with served(w) as base, browser() as instance:
            context = instance.new_context(viewport=PHONE, locale="id-ID")
            page = context.new_page()
            problems: list[str] = []
            page.on("console", lambda m: m.type in ("error", "warning") and problems.append(m.text))
            page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(base) else r.abort())
            login(page, base, "tek", w.passwords["tek"])
            page.click("a[href='/account']")
            page.wait_for_url(base + "/account")
            page.click("form[action='/account/totp/start'] button")
            page.wait_for_url(base + "/account*")
            # the QR code loads as an image under the CSP (no inline script, no data: needed)
            page.wait_for_function("document.querySelector('img.qr').complete")
            assert page.evaluate("document.querySelector('img.qr').naturalWidth") > 100
            shoot(page, "account-totp-phone")
            secret = page.inner_text("code.secret").replace(" ", "")
            page.fill("#c-code", totp.code_at(secret, w.clock()))
            page.click("form[action='/account/totp/confirm'] button")
            page.wait_for_url(base + "/account?done=totp_enabled")
            page.click("form[action='/logout'] button")
            page.wait_for_url(base + "/login")
            w.clock.advance(seconds=30)
            page.fill("#name", "tek")
            page.fill("#password", w.passwords["tek"])
            page.click("button[type=submit]")
            page.wait_for_url(base + "/login/totp")
            shoot(page, "login-totp-phone")
            page.fill("#code", totp.code_at(secret, w.clock()))
            page.click("button[type=submit]")
            page.wait_for_url(base + "/cases")
            assert "Budi Teknisi" in page.inner_text("header")
            assert not problems, problems
            context.close()
        with Session(w.engine) as session:
            assert session.query(UserSession).filter(UserSession.revoked_at.is_(None)).count() == 1
    finally:
        w.close()
