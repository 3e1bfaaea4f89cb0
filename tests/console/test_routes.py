"""Every role against every page and API endpoint, as one table, on SQLite and PostgreSQL.

An OPD admin of OPD A gets 404 for OPD B's site, case and findings (never 403, so it learns nothing
of them) and for the weekly report, which covers every OPD; a viewer reads and cannot act. The
requests that must be refused are sent for real and change nothing.
"""

from __future__ import annotations

import itertools

import pytest
from helpers.console import OPD_A, OPD_B, WEEK, csrf_of, make_world
from sqlalchemy.orm import Session

from agents.console import accounts
from sop_registry.ledger.models import CaseEvent

_counter = itertools.count(1)
ROLES = ("admin", "kabid", "tek", "opda", "opdb", "lihat")


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def world(request, tmp_path_factory):
    tmp = tmp_path_factory.mktemp(f"console-{request.param}")
    if request.param == "sqlite":
        url = f"sqlite:///{tmp / 'ledger.db'}"
    else:
        url = request.getfixturevalue("pg_server").create_database(f"sigap_console_{next(_counter)}")
    w = make_world(tmp, url)
    w.clients = {name: w.login(name)[0] for name in ROLES}
    w.tokens = {}
    with Session(w.engine) as session, session.begin():
        for name in ROLES:
            user = accounts.find_user(session, name)
            w.tokens[name, "write"] = accounts.new_token(session, user, "write", w.clock())[0]
            w.tokens[name, "read"] = accounts.new_token(session, user, "read", w.clock())[0]
    yield w
    for client in w.clients.values():
        client.close()
    w.close()


def _expect(allowed: set[str], status: int = 200, other: int = 404) -> dict[str, int]:
    return {role: status if role in allowed else other for role in ROLES}


ALL = set(ROLES)
NOT_B = ALL - {"opdb"}
NOT_A = ALL - {"opda"}
UNSCOPED = ALL - {"opda", "opdb"}

# (what, method, path template, expected status per role)
PAGES = [
    ("home", "GET", "/", _expect(ALL)),
    ("case list", "GET", "/cases", _expect(ALL)),
    ("case list, all", "GET", "/cases?state=all&mine=1", _expect(ALL)),
    ("OPD A's case", "GET", "/cases/{opd-a}", _expect(NOT_B)),
    ("OPD B's case", "GET", "/cases/{opd-b}", _expect(NOT_A)),
    ("OPD B's site case", "GET", "/cases/{dishub}", _expect(NOT_A)),
    ("no such case", "GET", "/cases/999999", _expect(set())),
    ("sites", "GET", "/websites", _expect(ALL)),
    ("OPD A's site", "GET", "/websites/dinkes", _expect(NOT_B)),
    ("OPD B's site", "GET", "/websites/dishub", _expect(NOT_A)),
    ("sites, filtered", "GET", "/websites?bucket=passive&status=crit&opd=Dinas+Perhubungan", _expect(ALL)),
    ("links", "GET", "/links", _expect(ALL)),
    ("links, a week", "GET", "/links?week=2026-W48", _expect(ALL)),
    ("links, no such week", "GET", "/links?week=2026-W60", _expect(set())),
    ("DNS", "GET", "/dns?days=90", _expect(ALL)),
    ("certificates", "GET", "/certificates", _expect(ALL)),
    ("SOP", "GET", "/sop", _expect(ALL)),
    ("maintenance", "GET", "/maintenance", _expect(UNSCOPED)),
    ("users", "GET", "/users", _expect({"admin"}, other=403)),
    ("own account", "GET", "/account", _expect(ALL)),
    ("public status, off by default", "GET", "/status", _expect(set())),
    ("reports", "GET", "/reports", _expect(UNSCOPED)),
    ("report HTML", "GET", f"/reports/{WEEK}/r1.html", _expect(UNSCOPED)),
    ("report PDF", "GET", f"/reports/{WEEK}/r1.pdf", _expect(UNSCOPED)),
    ("report XLSX", "GET", f"/reports/{WEEK}/r1.xlsx", _expect(UNSCOPED)),
    ("no such revision", "GET", f"/reports/{WEEK}/r9.pdf", _expect(set())),
    # refused moves: a viewer may not act (403); an OPD admin may not see OPD B (404) and may only
    # acknowledge and note its own; the approval is the Kepala Bidang's (and the admin's)
    ("ack OPD B's case", "POST", "/cases/{opd-b}/ack", {"lihat": 403, "opda": 404}),
    ("resolve OPD A's case", "POST", "/cases/{opd-a}/resolve", {"lihat": 403, "opda": 403, "opdb": 404}),
    ("hold OPD A's case", "POST", "/cases/{opd-a}/hold", {"lihat": 403, "opda": 403}),
    ("close OPD A's case", "POST", "/cases/{opd-a}/close", {"tek": 403, "lihat": 403, "opda": 403}),
    ("approve", "POST", f"/reports/{WEEK}/approve", {"tek": 403, "lihat": 403, "opda": 404, "opdb": 404}),
    ("send again", "POST", f"/reports/{WEEK}/send", {"tek": 403, "lihat": 403, "opda": 404, "opdb": 404}),
    ("check OPD A's site now", "POST", "/websites/dinkes/check", {"lihat": 403, "opdb": 404}),
    (
        "add a window",
        "POST",
        "/maintenance",
        {"kabid": 403, "tek": 403, "lihat": 403, "opda": 404, "opdb": 404},
    ),
    ("end a window", "POST", "/maintenance/1/end", {"kabid": 403, "tek": 403, "lihat": 403, "opda": 404}),
    ("add a user", "POST", "/users", {"kabid": 403, "tek": 403, "lihat": 403, "opda": 403, "opdb": 403}),
    ("disable a user", "POST", "/users/tek/disable", {"kabid": 403, "tek": 403, "lihat": 403, "opda": 403}),
    ("reset a 2FA", "POST", "/users/tek/reset-totp", {"kabid": 403, "tek": 403, "lihat": 403, "opda": 403}),
]

API = [
    ("cases", "GET", "/api/v1/cases", _expect(ALL)),
    ("OPD A's case", "GET", "/api/v1/cases/{opd-a}", _expect(NOT_B)),
    ("OPD B's case", "GET", "/api/v1/cases/{opd-b}", _expect(NOT_A)),
    ("websites", "GET", "/api/v1/websites", _expect(ALL)),
    ("links", "GET", "/api/v1/links", _expect(ALL)),
    ("findings", "GET", "/api/v1/findings?since=2026-11-01T00:00:00Z", _expect(ALL)),
    ("reports", "GET", "/api/v1/reports", _expect(UNSCOPED)),
    ("ack OPD B's case", "POST", "/api/v1/cases/{opd-b}/ack", {"lihat": 403, "opda": 404}),
    (
        "resolve OPD A's case",
        "POST",
        "/api/v1/cases/{opd-a}/resolve",
        {"lihat": 403, "opda": 403, "opdb": 404},
    ),
    ("approve", "POST", f"/api/v1/reports/{WEEK}/approve", {"tek": 403, "lihat": 403, "opda": 404}),
    ("send again", "POST", f"/api/v1/reports/{WEEK}/send", {"tek": 403, "lihat": 403, "opda": 404}),
    # the console's other pages, with the pages' own scope (tests/console/test_api_pages.py: content)
    ("DNS", "GET", "/api/v1/dns?days=90", _expect(ALL)),
    ("DNS, no such window", "GET", "/api/v1/dns?days=8", _expect(set(), other=400)),
    ("certificates", "GET", "/api/v1/certificates", _expect(ALL)),
    ("certificates, no such window", "GET", "/api/v1/certificates?days=x", _expect(set(), other=400)),
    ("SOP", "GET", "/api/v1/sop", _expect(ALL)),
    ("maintenance", "GET", "/api/v1/maintenance", _expect(UNSCOPED)),
    ("users", "GET", "/api/v1/users", _expect({"admin"}, other=403)),
    ("me", "GET", "/api/v1/me", _expect(ALL)),
    ("summary", "GET", "/api/v1/summary", _expect(ALL)),
    ("summary, no such language", "GET", "/api/v1/summary?lang=fr", _expect(set(), other=400)),
    (
        "add a window",
        "POST",
        "/api/v1/maintenance",
        {"admin": 400, "kabid": 403, "tek": 403, "lihat": 403, "opda": 404, "opdb": 404},
    ),
    (
        "end a window",
        "POST",
        "/api/v1/maintenance/1/end",
        {"admin": 404, "kabid": 403, "tek": 403, "lihat": 403, "opda": 404, "opdb": 404},
    ),
]


def _path(world, template: str) -> str:
    for key, case_id in world.cases.items():
        template = template.replace("{" + key + "}", str(case_id))
    return template


def _events(world) -> int:
    with Session(world.engine) as session:
        return session.query(CaseEvent).count()


@pytest.mark.parametrize("what,method,template,expected", PAGES, ids=[p[0] for p in PAGES])
def test_pages_by_role(world, what, method, template, expected):
    before = _events(world)
    for role, status in expected.items():
        client = world.clients[role]
        if method == "GET":
            reply = client.get(_path(world, template))
        else:
            page = client.get("/cases")
            reply = client.post(_path(world, template), data={"csrf": csrf_of(page.text), "note": "x"})
        assert reply.status_code == status, (role, what, reply.text[:500])
    assert _events(world) == before, "a refused move changed the case log"


@pytest.mark.parametrize("what,method,template,expected", API, ids=[p[0] for p in API])
def test_api_by_role(world, what, method, template, expected):
    before = _events(world)
    for role, status in expected.items():
        headers = {"Authorization": f"Bearer {world.tokens[role, 'write']}"}
        client = world.clients[role]
        reply = client.request(
            method, _path(world, template), headers=headers, json={"note": "x"} if method == "POST" else None
        )
        assert reply.status_code == status, (role, what, reply.text[:500])
        assert reply.headers["content-type"].startswith("application/json")
    assert _events(world) == before


def test_opd_admin_lists_only_its_own(world):
    headers = {"Authorization": f"Bearer {world.tokens['opda', 'read']}"}
    client = world.clients["opda"]
    cases = client.get("/api/v1/cases", headers=headers).json()["cases"]
    assert {c["opd"] for c in cases} == {OPD_A} and [c["id"] for c in cases] == [world.cases["opd-a"]]
    sites = client.get("/api/v1/websites", headers=headers).json()["websites"]
    assert {s["id"] for s in sites} == {"dinkes", "arsip"}
    links = client.get("/api/v1/links", headers=headers).json()["links"]
    assert [link["id"] for link in links] == ["opd-a"]
    findings = client.get("/api/v1/findings?since=2026-11-01T00:00:00Z", headers=headers).json()["findings"]
    assert findings and {f["opd"] for f in findings} == {OPD_A}
    page = world.clients["opda"].get("/websites").text
    assert "dinkes" in page and "dishub" not in page and OPD_B not in page
    case_page = world.clients["opda"].get("/cases").text
    assert "opd-a" in case_page and "opd-b" not in case_page and OPD_B not in case_page


def test_a_read_token_only_reads(world):
    headers = {"Authorization": f"Bearer {world.tokens['tek', 'read']}"}
    client = world.clients["tek"]
    assert client.get("/api/v1/cases", headers=headers).status_code == 200
    reply = client.post(f"/api/v1/cases/{world.cases['opd-a']}/ack", headers=headers)
    assert reply.status_code == 403, reply.text


@pytest.mark.parametrize(
    "header", [None, "Bearer", "Bearer sgp_wrong", "Basic dGVrOng=", "Bearer " + "x" * 500]
)
def test_api_without_a_valid_token_is_401(world, header):
    client = world.client()  # no session cookie either: the API never takes one
    headers = {"Authorization": header} if header else {}
    for path in ("/api/v1/cases", f"/api/v1/cases/{world.cases['opd-a']}", "/api/v1/reports"):
        reply = client.get(path, headers=headers)
        assert reply.status_code == 401 and reply.json() == {"error": "a valid bearer token is required"}
        assert reply.headers["www-authenticate"].startswith("Bearer")


def test_a_session_cookie_opens_no_api(world):
    reply = world.clients["admin"].get("/api/v1/cases")
    assert reply.status_code == 401


def test_openapi_document_is_public_and_names_every_route(world):
    doc = world.client().get("/api/v1/openapi.json").json()
    assert doc["openapi"].startswith("3.0")
    for path in ("/cases", "/cases/{case_id}", "/cases/{case_id}/ack", "/cases/{case_id}/note",
                 "/cases/{case_id}/hold", "/cases/{case_id}/resume", "/cases/{case_id}/step-done",
                 "/cases/{case_id}/resolve", "/websites", "/links", "/findings", "/reports",
                 "/reports/{week}/approve", "/reports/{week}/send", "/dns", "/certificates", "/sop",
                 "/maintenance",
                 "/maintenance/{window_id}/end", "/users", "/me", "/summary"):  # fmt: skip
        assert path in doc["paths"], path


@pytest.mark.parametrize("lang", ["id", "en"])
def test_every_page_renders_in_both_languages(world, lang):
    client = world.clients["admin"]
    client.get(f"/lang/{lang}?next=/cases")
    try:
        for template in ("/", "/cases", "/cases?state=all", "/cases/{opd-a}", "/cases/{dishub}", "/websites",
                         "/websites/dishub", "/websites/arsip", "/websites?bucket=less", "/reports", "/links",
                         "/dns", "/certificates", "/sop", "/maintenance", "/users"):  # fmt: skip
            reply = client.get(_path(world, template))
            assert reply.status_code == 200, (template, reply.text[:300])
            assert f'<html lang="{lang}">' in reply.text
    finally:
        client.get("/lang/id?next=/cases")
