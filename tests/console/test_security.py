"""Logins, sessions, CSRF, the login throttle, headers, escaping and the office's time, on both backends
where the ledger is involved."""

from __future__ import annotations

import re

import pytest
from helpers.console import HOSTILE, PASSWORD, csrf_of, make_world
from sqlalchemy import select
from sqlalchemy.orm import Session

from sop_registry.ledger.models import LoginFailure, UserSession


@pytest.fixture
def world(tmp_path, db_url):
    w = make_world(tmp_path, db_url, report=False)
    yield w
    w.close()


@pytest.fixture
def sqlite_world(tmp_path):
    w = make_world(tmp_path, f"sqlite:///{tmp_path / 'ledger.db'}", report=False)
    yield w
    w.close()


def test_login_sets_a_hardened_cookie_and_logout_makes_it_useless(world):
    client, reply = world.login("tek")
    assert reply.status_code == 303 and reply.headers["location"] == "/cases"
    cookie = reply.headers["set-cookie"]
    assert cookie.startswith("sigap_session=") and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Secure" not in cookie  # plain http from a peer that is no trusted proxy
    stolen = client.cookies.get("sigap_session")
    assert client.get("/cases").status_code == 200
    page = client.get("/cases")
    assert client.post("/logout", data={"csrf": csrf_of(page.text)}).status_code == 303
    # the same cookie, replayed by another browser, opens nothing any more
    other = world.client()
    other.cookies.set("sigap_session", stolen)
    reply = other.get("/cases")
    assert reply.status_code == 303 and reply.headers["location"].startswith("/login")
    with Session(world.engine) as session:
        assert session.scalars(select(UserSession)).one().revoked_at is not None


def test_a_form_without_its_csrf_token_is_403(world):
    client, _ = world.login("tek")
    case = world.cases["opd-a"]
    for data in ({}, {"csrf": "forged"}, {"csrf": ""}):
        reply = client.post(f"/cases/{case}/ack", data=data)
        assert reply.status_code == 403, data
        assert "Formulir kedaluwarsa" in reply.text
    assert client.post("/logout", data={}).status_code == 403
    # the login form too: its token lives in a cookie of its own
    fresh = world.client()
    reply = fresh.post("/login", data={"name": "tek", "password": world.passwords["tek"]})
    assert reply.status_code == 403
    # another user's token does not fit this session
    other, _ = world.login("kabid")
    foreign = csrf_of(other.get("/cases").text)
    assert client.post(f"/cases/{case}/ack", data={"csrf": foreign}).status_code == 403


def test_lockout_after_n_bad_passwords_per_account(world):
    # console.login_max_failures: 3 in the test config
    for _ in range(3):
        _client, reply = world.login("tek", "salah-salah-salah")
        assert reply.status_code == 401 and "salah" in reply.text
    _client, reply = world.login("tek")  # the right password, but locked now
    assert reply.status_code == 429 and "Terlalu banyak percobaan" in reply.text
    assert re.search(r"setelah \w+, 30 November 2026 14\.20 WITA", reply.text), reply.text
    _client, reply = world.login("kabid")  # another account from the same address is not locked yet
    assert reply.status_code == 303
    world.clock.advance(minutes=16)  # the window has passed since the last bad one
    _client, reply = world.login("tek")
    assert reply.status_code == 303
    with Session(world.engine) as session:  # the good login forgot the account's failures
        assert session.scalars(select(LoginFailure).where(LoginFailure.account == "tek")).all() == []


def test_lockout_per_address(world):
    # console.address_max_failures: 8; unknown accounts count for the address too
    for i in range(8):
        _client, reply = world.login(f"tamu{i}", "apa-saja-123")
        assert reply.status_code == 401
    _client, reply = world.login("admin")
    assert reply.status_code == 429


def test_idle_and_absolute_timeouts(sqlite_world):
    world = sqlite_world
    client, _ = world.login("tek")
    world.clock.advance(minutes=29)
    assert client.get("/cases").status_code == 200  # touched: the idle clock starts again
    world.clock.advance(minutes=29)
    assert client.get("/cases").status_code == 200
    world.clock.advance(minutes=31)
    assert client.get("/cases").status_code == 303  # idle for 31 minutes
    client, _ = world.login("tek")
    for _ in range(26):  # busy all day: still ends 12 hours after it began
        world.clock.advance(minutes=28)
        client.get("/cases")
    assert client.get("/cases").status_code == 303


def test_disabling_a_user_ends_its_session(sqlite_world):
    from agents.console import accounts

    world = sqlite_world
    client, _ = world.login("tek")
    with Session(world.engine) as session, session.begin():
        accounts.set_disabled(session, accounts.find_user(session, "tek"), True, world.clock())
    assert client.get("/cases").status_code == 303
    _client, reply = world.login("tek")
    assert reply.status_code == 401


def test_secure_cookie_over_tls_from_a_trusted_proxy_only(tmp_path):
    world = make_world(
        tmp_path, f"sqlite:///{tmp_path / 'l.db'}", report=False, console={"trusted_proxies": ["127.0.0.0/8"]}
    )
    try:
        from starlette.testclient import TestClient

        # the test client's peer is "testclient": not a trusted proxy, so the header is not believed
        client = world.client(headers={"X-Forwarded-Proto": "https"})
        _client, reply = world.login("tek", client=client)
        assert "Secure" not in reply.headers["set-cookie"]
        # https itself
        secure = TestClient(world.app, base_url="https://testserver", follow_redirects=False)
        _client, reply = world.login("tek", client=secure)
        assert "Secure" in reply.headers["set-cookie"]
    finally:
        world.close()


def test_security_headers_on_every_page(sqlite_world):
    client, _ = sqlite_world.login("tek")
    for path in ("/login", "/cases", "/websites", "/static/htmx.min.js", "/nothing-here"):
        reply = client.get(path)
        csp = reply.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
        assert reply.headers["x-content-type-options"] == "nosniff"
        assert reply.headers["referrer-policy"] == "same-origin"
    page = client.get("/cases").text
    assert "<script>" not in page.replace('<script src="/static/htmx.min.js" defer></script>', "")
    assert 'src="/static/htmx.min.js"' in page and "https://" not in page.split("<main")[0]


def test_what_a_site_sent_is_text(sqlite_world):
    world = sqlite_world
    client, _ = world.login("admin")
    for path in (f"/cases/{world.cases['dishub']}", "/cases", "/websites", "/websites/dishub"):
        page = client.get(path).text
        assert HOSTILE not in page, path
        assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in page, path
    sites = client.get("/websites").text
    # the newest item's URL is http: a link, its markup escaped, opening nothing of ours
    assert 'rel="noopener noreferrer nofollow"' in sites
    assert 'href="javascript:' not in sites


def test_office_time_and_language_switch(sqlite_world):
    client, _ = sqlite_world.login("tek")
    page = client.get(f"/cases/{sqlite_world.cases['opd-a']}").text
    assert "Senin, 30 November 2026 14.00 WITA" in page and "Langkah SOP" in page
    reply = client.get("/lang/en?next=/cases/1")
    assert reply.status_code == 303 and reply.headers["location"] == "/cases/1"
    page = client.get(f"/cases/{sqlite_world.cases['opd-a']}").text
    assert "Monday, November 30, 2026 14:00 WITA" in page and "SOP steps" in page


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:x"]
)
def test_no_open_redirect(sqlite_world, target):
    client = sqlite_world.client()
    assert client.get("/lang/en", params={"next": target}).headers["location"] == "/cases"
    page = client.get("/login", params={"next": target})
    _c, reply = sqlite_world.login("tek", client=client)
    assert reply.headers["location"] == "/cases"
    assert page.status_code == 200


def test_passwords_are_argon2id_and_a_login_replaces_the_browsers_session(sqlite_world):
    from sop_registry.ledger.models import User

    world = sqlite_world
    with Session(world.engine) as session:
        user = session.scalars(select(User).where(User.name == "tek")).one()
        assert user.password_hash.startswith("$argon2id$")
        assert PASSWORD.format(name="tek") not in user.password_hash
    client, _ = world.login("tek")
    first = client.cookies.get("sigap_session")
    # a browser that carries a session (planted, or its own) and logs in: the old one is ended
    other = world.client()
    page = other.get("/login")
    other.cookies.set("sigap_session", first)
    reply = other.post(
        "/login", data={"csrf": csrf_of(page.text), "name": "tek", "password": world.passwords["tek"]}
    )
    assert first not in reply.headers["set-cookie"]
    assert client.get("/cases").status_code == 303
    with Session(world.engine) as session:
        rows = session.scalars(select(UserSession).order_by(UserSession.id)).all()
        assert [r.revoked_at is not None for r in rows] == [True, False]
        assert all(len(r.token_hash) == 64 for r in rows)
