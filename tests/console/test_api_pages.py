"""The API of the console's other pages, on SQLite and PostgreSQL: DNS/IP drift and certificates
(written by the DNS and certificate agents' own writers, tests/helpers/reportfill.py), the SOP set,
the maintenance windows (made by the real `sigap maintenance add`, read back by `sigap maintenance
list`), the users, the token's own user and the Ringkasan, each read through the page's own query
function and held to what the page shows, with the pages' scope (tests/console/test_routes.py has
the role x route table)."""

from __future__ import annotations

import itertools
import json
import re
from datetime import UTC

import pytest
import yaml
from click.testing import CliRunner
from helpers import reportfill
from helpers.console import OPD_A, OPD_B, config_data, csrf_of, make_world
from helpers.console_week import make_week_world
from sqlalchemy import select
from sqlalchemy.orm import Session

from agents.cli import cli
from agents.console import accounts, home
from agents.kinds import dns as dns_kind
from agents.kinds import tls as tls_kind
from checks.dns.model import DnsResult
from checks.finding import Finding
from checks.tls.evaluate import evaluate as tls_evaluate
from checks.tls.model import TlsTarget, TlsThresholds
from sop_registry.ledger.models import MaintenanceWindow

_counter = itertools.count(1)
CASE_MOVES = ["ack", "note", "hold", "resume", "step-done", "resolve", "reopen", "close"]


def _url(request, tmp, name: str) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp / 'ledger.db'}"
    return request.getfixturevalue("pg_server").create_database(f"sigap_api_{name}_{next(_counter)}")


def _tokens(engine, clock, names) -> dict[tuple[str, str], str]:
    out = {}
    with Session(engine) as session, session.begin():
        for name in names:
            user = accounts.find_user(session, name)
            for scope in ("write", "read"):
                out[name, scope] = accounts.new_token(session, user, scope, clock(), label=f"{name}-{scope}")[
                    0
                ]
    return out


@pytest.fixture(params=["sqlite", "postgresql"])
def week(request, tmp_path):
    """The report tests' known week: DNS drift found on 16 November and partly fixed on the 18th, a
    certificate expiring in 12 days; admin, viewer, OPD admins of Dinas Kesehatan and of Setda."""
    home._cache.clear()
    w = make_week_world(tmp_path, _url(request, tmp_path, "week"))
    with Session(w.engine) as s, s.begin():
        setda = accounts.NewUser("opdsetda", "admin_opd", "Admin Setda", ("Setda",), ())
        accounts.add_user(s, setda, "sandi-setda-panjang", reportfill.GENERATED)
    w.tokens = _tokens(w.engine, w.clock, ("admin", "lihat", "opdkes", "opddik", "opdsetda"))
    w.api = w.client()
    yield w
    w.api.close()
    w.engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def office(request, tmp_path):
    """The console tests' small office (helpers/console.py) with its config on disk for the CLI."""
    home._cache.clear()
    url = _url(request, tmp_path, "office")
    w = make_world(tmp_path, url, report=False)
    w.config_path = tmp_path / "sigap.yaml"
    w.config_path.write_text(yaml.safe_dump(config_data(tmp_path, url)), encoding="utf-8")
    w.tokens = _tokens(w.engine, w.clock, ("admin", "kabid", "tek", "opda", "opdb", "lihat"))
    w.api = w.client()
    yield w
    w.api.close()
    w.close()


def _get(world, path: str, who: str = "admin", scope: str = "write"):
    reply = world.api.get(path, headers={"Authorization": f"Bearer {world.tokens[who, scope]}"})
    assert reply.headers["content-type"].startswith("application/json"), reply.text[:300]
    return reply


def _post(world, path: str, body: dict | None = None, who: str = "admin", scope: str = "write"):
    headers = {"Authorization": f"Bearer {world.tokens[who, scope]}"}
    return world.api.post(path, headers=headers, json=body or {})


def _utc(*args: int) -> str:
    return reportfill.wita(*args).astimezone(UTC).isoformat()


def _sigap(world, *args: str):
    """The real `sigap` command in this process, on the world's ledger."""
    result = CliRunner().invoke(cli, ["--config", str(world.config_path), *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


# --- DNS/IP -------------------------------------------------------------------------------------


def test_dns_drift_first_seen_and_fixed(week):
    body = _get(week, "/api/v1/dns").json()
    assert (body["days"], body["runs"], body["open"]) == (30, 3, 1)
    assert body["last_run_at"] == _utc(2026, 11, 20, 9, 0)
    orphan, wrong = body["drift"]
    assert (orphan["target"], orphan["code"], orphan["status"], orphan["opd"]) == (
        "lama.kab.test", "dns_orphan", "warn", None,
    )  # fmt: skip
    assert orphan["first_seen"] == _utc(2026, 11, 16, 9, 0) and orphan["last_seen"] == _utc(
        2026, 11, 20, 9, 0
    )
    assert orphan["fixed_at"] is None and "127.0.0.7" in orphan["message_id"]
    assert (wrong["target"], wrong["code"], wrong["opd"]) == ("portal.kab.test", "dns_wrong_address", "Setda")
    assert wrong["fixed_at"] == _utc(2026, 11, 18, 9, 0)
    # the page shows the very same rows
    page = week.login("admin").get("/dns").text
    assert [r["target"] for r in body["drift"]] == re.findall(
        r'<strong class="target">([^<]+)</strong>', page
    )
    # a new run by the DNS agent's writer no longer sees the orphan: fixed at that run
    with Session(week.engine) as s, s.begin():
        ok = dns_kind.to_findings(
            DnsResult(
                "www.kab.test", "ok", "host", findings=[Finding("dns_ok", "ok", {"name": "www.kab.test"})]
            )
        )
        reportfill._run(s, week.registry, "polman-14", "dns_ip", reportfill.wita(2026, 11, 22, 9, 0), ok)
    body = _get(week, "/api/v1/dns").json()
    assert body["open"] == 0 and body["runs"] == 4
    fixed = {r["target"]: r["fixed_at"] for r in body["drift"]}
    assert fixed == {"lama.kab.test": _utc(2026, 11, 22, 9, 0), "portal.kab.test": _utc(2026, 11, 18, 9, 0)}


def test_dns_for_an_opd_admin_only_its_own(week):
    assert _get(week, "/api/v1/dns", "opdkes").json()["drift"] == []
    setda = _get(week, "/api/v1/dns?days=90", "opdsetda", "read").json()
    assert [(r["target"], r["opd"]) for r in setda["drift"]] == [("portal.kab.test", "Setda")]
    assert setda["open"] == 0  # the orphan (no OPD) is nobody's


def test_a_window_the_pages_do_not_offer_is_bad_input(week):
    for days in ("8", "", "x", "30.0", "-7", "9" * 40):
        for path in ("/api/v1/dns", "/api/v1/certificates"):
            reply = _get(week, f"{path}?days={days}")
            assert reply.status_code == 400 and reply.json()["error"].startswith("days: "), reply.text


# --- Sertifikat ---------------------------------------------------------------------------------


def test_a_certificate_expiring_then_renewed(week):
    body = _get(week, "/api/v1/certificates").json()
    assert body["checked_at"] == _utc(2026, 11, 19, 6, 0) and body["endpoints"] == 2
    (cert,) = body["certificates"]
    assert (cert["target"], cert["opd"], cert["code"], cert["days_left"]) == (
        "dinkes.kab.test:443", "Dinas Kesehatan", "cert_expiring", 12,
    )  # fmt: skip
    assert cert["not_after"] == reportfill.CERT_NOT_AFTER.astimezone(UTC).isoformat()
    assert cert["first_seen"] == _utc(2026, 11, 19, 6, 0) and cert["fixed_at"] is None
    assert body["fixed"] == []
    own = _get(week, "/api/v1/certificates", "opdkes").json()
    assert [c["target"] for c in own["certificates"]] == ["dinkes.kab.test:443"] and own["endpoints"] is None
    assert _get(week, "/api/v1/certificates", "opddik").json()["certificates"] == []
    # renewed: the certificate agent's writer records the check that finds it fine
    at = reportfill.wita(2026, 11, 21, 6, 0)
    renewed = tls_evaluate(
        TlsTarget("dinkes.kab.test", 443, "dinkes.kab.test"),
        reportfill.tls_probe(["dinkes.kab.test"], reportfill.wita(2027, 3, 1, 12, 0)),
        at,
        TlsThresholds(),
    )
    with Session(week.engine) as s, s.begin():
        findings = tls_kind.to_findings(renewed, "Dinas Kesehatan")
        reportfill._run(s, week.registry, "polman-19", "tls_cert", at, findings)
    body = _get(week, "/api/v1/certificates?days=90").json()
    assert body["certificates"] == [] and body["checked_at"] == _utc(2026, 11, 21, 6, 0)
    (fixed,) = body["fixed"]
    assert fixed["target"] == "dinkes.kab.test:443" and fixed["fixed_at"] == _utc(2026, 11, 21, 6, 0)
    assert fixed["first_seen"] == _utc(2026, 11, 19, 6, 0) and fixed["problem"] == "cert_expiring"
    assert [f["target"] for f in _get(week, "/api/v1/certificates", "opdkes").json()["fixed"]] == [
        "dinkes.kab.test:443"
    ]
    assert _get(week, "/api/v1/certificates", "opddik").json()["fixed"] == []


# --- SOP ----------------------------------------------------------------------------------------


def test_the_sop_set_with_checks_runs_and_sla(office):
    body = _get(office, "/api/v1/sop", "kabid").json()
    assert body["week"] == "2026-W49" and (body["from"], body["to"]) == ("2026-11-30", "2026-12-06")
    page = office.login("kabid")[0].get("/sop").text
    assert [s["id"] for s in body["sops"]] == re.findall(r'<section class="card sop" id="([\w-]+)">', page)
    steps = {(s["id"], step["no"]): step for s in body["sops"] for step in s["steps"]}
    crawl = steps["kaltim-monitoring-website", 2]
    assert crawl["check"] == "web_freshness" and "Senin" in crawl["schedule"]
    assert crawl["runs"] == {"runs": 1, "done": 1, "skipped": 0, "errors": 0, "late": 0}
    first = steps["polman-15", 1]
    assert first["pelaksana"] == ["Perangkat Daerah"] and first["time_standard"] == "5 Menit"
    assert first["output"].startswith("Aduan gangguan") and first["check"] == "link"
    assert steps["polman-15", 2]["check"] is None and steps["polman-15", 2]["sla"]["pending"] == 2
    sop15 = office.registry["polman-15"]
    assert [s["activity"] for s in body["sops"][0]["steps"]] == [s.activity for s in sop15.steps]


def test_an_opd_admin_reads_the_steps_without_the_office_figures(office):
    body = _get(office, "/api/v1/sop", "opda").json()
    assert body["week"] is None and body["sops"]
    assert all(s["runs"] is None and s["sla"] is None for sop in body["sops"] for s in sop["steps"])


# --- Pemeliharaan -------------------------------------------------------------------------------


def _windows(world) -> list[MaintenanceWindow]:
    with Session(world.engine) as s:
        return list(s.scalars(select(MaintenanceWindow).order_by(MaintenanceWindow.id)))


def test_windows_by_the_cli_read_added_and_ended_through_the_api(office):
    _sigap(office, "maintenance", "add", "--target", "opd-*", "--start", "2026-12-06 22:00", "--end",
           "2026-12-07 02:00", "--reason", "Ganti router inti", "--by", "Piket")  # fmt: skip
    (by_cli,) = _get(office, "/api/v1/maintenance", "lihat", "read").json()["windows"]
    assert by_cli["kind"] == "once" and by_cli["target"] == "opd-*" and by_cli["created_by"] == "Piket"
    assert by_cli["starts_at"] == "2026-12-06T14:00:00+00:00"  # 22.00 WITA
    assert by_cli["ends_at"] == "2026-12-06T18:00:00+00:00" and by_cli["removed_at"] is None
    # the admin adds one through the API: the page's checks, the page's row
    reply = _post(
        office, "/api/v1/maintenance", {"every": "sun", "at": "23:00", "minutes": 60, "sop": "polman-15"}
    )
    assert reply.status_code == 201, reply.text
    made = reply.json()
    assert (made["kind"], made["days"], made["start_time"], made["duration_minutes"]) == (
        "weekly",
        ["sun"],
        "23:00",
        60,
    )
    assert made["created_by"] == "Admin Sigap" and made["sop"] == "polman-15"
    listed = sorted(json.loads(_sigap(office, "maintenance", "list", "--json")), key=lambda w: w["id"])
    assert [w["id"] for w in listed] == [by_cli["id"], made["id"]]
    assert listed[1]["days"] == ["sun"] and listed[1]["created_by"] == "Admin Sigap"
    page = office.login("tek")[0].get("/maintenance").text
    assert f'id="window-{made["id"]}"' in page and f'id="window-{by_cli["id"]}"' in page
    # ended as the page's button does: marked removed, kept
    reply = _post(office, f"/api/v1/maintenance/{by_cli['id']}/end")
    assert (
        reply.status_code == 200 and reply.json()["removed_at"] == office.clock().astimezone(UTC).isoformat()
    )
    assert _post(office, f"/api/v1/maintenance/{by_cli['id']}/end").status_code == 404
    assert [w["id"] for w in json.loads(_sigap(office, "maintenance", "list", "--json"))] == [made["id"]]
    assert [w["id"] for w in _get(office, "/api/v1/maintenance", "kabid").json()["windows"]] == [made["id"]]
    assert len(_windows(office)) == 2 and _windows(office)[0].removed_at is not None


def test_the_api_and_the_page_make_the_same_window(office):
    form = {"target": "opd-a", "start": "2026-12-06 22:00", "end": "2026-12-07 02:00", "reason": "Kabel <b>"}
    client = office.login("admin")[0]
    token = csrf_of(client.get("/maintenance").text)
    assert client.post("/maintenance", data={"csrf": token, "kind": "once", **form}).status_code == 303
    assert _post(office, "/api/v1/maintenance", form).status_code == 201
    by_page, by_api = _windows(office)
    columns = [c.key for c in MaintenanceWindow.__table__.columns if c.key not in ("id", "created_at")]
    assert {c: getattr(by_page, c) for c in columns} == {c: getattr(by_api, c) for c in columns}


BAD_WINDOWS = [
    ({"kind": "once", "start": "2026-12-06 22:00"}, "start: a one-off window needs"),
    ({"start": "2026-12-07 22:00", "end": "2026-12-06 22:00"}, "end: must be after the start"),
    ({"start": "besok", "end": "lusa"}, "cannot read 'besok'"),
    ({"every": "minggu", "at": "22:00", "minutes": 60}, "unknown day(s)"),
    ({"every": "sun", "at": "25:00", "minutes": 60}, "at: expected HH:MM"),
    ({"every": "sun", "at": "22:00", "minutes": -5}, "every: a weekly window needs"),
    ({"every": "sun", "at": "22:00", "minutes": "60"}, "minutes: must be an integer"),
    ({"every": "sun", "at": "22:00"}, "every: a weekly window needs"),
    ({"kind": "monthly", "every": "sun"}, "kind: 'monthly' is not once or weekly"),
    ({"start": "2026-12-06 22:00", "end": "2026-12-07 02:00", "every": "sun"}, "give either"),
    (
        {"kind": "once", "start": "2026-12-06 22:00", "end": "2026-12-07 02:00", "minutes": 5},
        "give either",
    ),
    ({"sop": "polman-99", "start": "2026-12-06 22:00", "end": "2026-12-07 02:00"}, "unknown SOP id"),
    ({"target": 5, "start": "2026-12-06 22:00", "end": "2026-12-07 02:00"}, "target: must be a string"),
    ({"reason": "x" * 501, "start": "2026-12-06 22:00", "end": "2026-12-07 02:00"}, "reason"),
    ({"start": "0001-01-01 00:00", "end": "2026-12-07 02:00"}, "start: "),
]


def test_bad_windows_are_refused_and_add_nothing(office):
    for body, says in BAD_WINDOWS:
        reply = _post(office, "/api/v1/maintenance", body)
        assert reply.status_code == 400 and says in reply.json()["error"], (body, reply.text)
    assert _windows(office) == []


def test_who_may_touch_the_windows(office):
    _sigap(office, "maintenance", "add", "--every", "sun", "--at", "23:00", "--minutes", "60")
    (window,) = _windows(office)
    weekly = {"every": "sun", "at": "01:00", "minutes": 5}
    assert _post(office, "/api/v1/maintenance", weekly, "admin", "read").status_code == 403
    assert _post(office, f"/api/v1/maintenance/{window.id}/end", None, "admin", "read").status_code == 403
    assert _post(office, "/api/v1/maintenance", weekly, "tek").status_code == 403
    assert _post(office, f"/api/v1/maintenance/{window.id}/end", None, "kabid").status_code == 403
    assert _post(office, f"/api/v1/maintenance/{window.id}/end", None, "opda").status_code == 404
    assert _get(office, "/api/v1/maintenance", "opdb").status_code == 404
    assert _post(office, "/api/v1/maintenance/x/end").status_code == 404
    assert len(_windows(office)) == 1 and _windows(office)[0].removed_at is None


# --- Pengguna, me -------------------------------------------------------------------------------


def test_the_users_without_any_secret(office):
    _sigap(office, "user", "token", "tek", "--label", "bot")  # one more token: never listed
    reply = _get(office, "/api/v1/users", "admin", "read")  # reading is the admin's, a read token too
    users = {u["name"]: u for u in reply.json()["users"]}
    assert list(users) == sorted(["admin", "kabid", "tek", "opda", "opdb", "lihat"])
    assert users["opda"]["role"] == "admin_opd" and users["opda"]["opds"] == [OPD_A]
    assert users["kabid"]["acts_as"] == ["Kepala Bidang TIP", "Bidang Aptika"]
    assert users["tek"]["display_name"] == "Budi Teknisi" and users["tek"]["disabled"] is False
    assert "$argon2" not in reply.text and "hash" not in reply.text and "sgp_" not in reply.text
    assert "secret" not in reply.text and "password" not in reply.text
    cli_rows = {r["name"]: r for r in json.loads(_sigap(office, "user", "list", "--json"))}
    assert {n: set(u) - {"totp", "sso"} for n, u in users.items()} == {
        n: set(r) - {"totp", "sso"} for n, r in cli_rows.items()
    }
    assert all(users[n][k] == r[k] for n, r in cli_rows.items() for k in users[n] if k in r)
    assert _get(office, "/api/v1/users", "kabid").status_code == 403


MES = [
    ("opda", "write", "admin_opd", [OPD_A], ["view", "check-site", "ack", "note"]),
    ("opdb", "read", "admin_opd", [OPD_B], ["view"]),
    ("kabid", "write", "kepala_bidang", [], ["view", "approve-report", "send-report", "check-site",
                                             *CASE_MOVES]),
    ("lihat", "write", "viewer", [], ["view"]),
]


def test_me_is_the_tokens_own_user(office):
    for who, scope, role, opds, may in MES:
        me = _get(office, "/api/v1/me", who, scope).json()
        assert (me["name"], me["role"], me["opds"], me["may"]) == (who, role, opds, may)
        assert me["token"]["scope"] == scope and me["token"]["label"] == f"{who}-{scope}"
        with Session(office.engine) as s:
            user = accounts.find_user(s, who)
            assert (me["display_name"], me["acts_as"]) == (user.display_name, list(user.acts_as))


# --- Ringkasan ----------------------------------------------------------------------------------


def _overdue_and_due(page: str) -> tuple[list[int], list[int]]:
    main = page.split('<main id="main">')[1]
    overdue, rest = main.split("Langkah SOP terlambat")[1].split("Langkah SOP jatuh tempo dalam 24 jam")
    due = rest.split("</ul>")[0]
    ids = lambda part: [int(i) for i in re.findall(r'href="/cases/(\d+)"', part.split("</ul>")[0])]  # noqa: E731
    return ids(overdue), ids(due)


@pytest.mark.parametrize("lang", ["id", "en"])
def test_the_summary_is_the_pages_own(office, lang):
    client = office.login("tek")[0]
    client.get(f"/lang/{lang}?next=/")
    page = client.get("/").text
    body = _get(office, f"/api/v1/summary?lang={lang}", "tek").json()
    shown = re.findall(r'<li class="tile"><span class="n">([^<]*)</span> ([^<]*)</li>', page)
    assert shown and [(t["value"], t["label"]) for t in body["tiles"]] == shown
    assert [t["key"] for t in body["tiles"]] == ["sites", "uptime", "outages", "cases", "sla", "steps"]
    assert body["week"] == "2026-W49" and body["partial"] is True and body["lang"] == lang
    assert body["open_cases"] == 3 and body["overdue"] == [] and len(body["due"]) == 3
    if lang == "id":
        assert [c["id"] for c in body["due"]] == _overdue_and_due(page)[1]
    crawl = next(s for s in body["steps"] if (s["sop"], s["step"]) == ("kaltim-monitoring-website", 2))
    assert crawl["last_run"]["status"] == "crit" and crawl["last_run"]["within_time_standard"] is True
    assert crawl["missed"] is False and crawl["next_at"] == "2026-12-06T23:00:00+00:00"  # Mon 07.00 WITA
    link = next(s for s in body["steps"] if (s["sop"], s["step"]) == ("polman-15", 1))
    assert link["last_run"] is None and link["check"] == "link"


def test_the_summary_when_the_steps_are_overdue(office):
    office.clock.advance(hours=2)
    page = office.login("tek")[0].get("/").text
    body = _get(office, "/api/v1/summary", "tek").json()
    overdue, due = _overdue_and_due(page)
    assert len(overdue) == 3 and [c["id"] for c in body["overdue"]] == overdue and body["due"] == due == []
    assert all(c["breached"] and c["seconds_left"] < 0 for c in body["overdue"])


def test_an_opd_admin_gets_its_own_cases_and_no_office_figures(office):
    body = _get(office, "/api/v1/summary", "opda").json()
    assert body["tiles"] == [] and body["week"] is None and body["steps"] == []
    assert body["open_cases"] == 1 and {c["opd"] for c in body["due"]} == {OPD_A}
    assert OPD_B not in json.dumps(body)
