"""A target's own contact is told beside the office's roles: the admin of an OPD's site
(`targets.websites[].admin.email`) hears of its stale site, once per batch, through the office's
e-mail channel named by `notify.contacts_channel`, addressed to the admin alone.

Sites are crawled on loopback and mailed to a real SMTP server (aiosmtpd); the routing rules (which
kinds, maintenance windows, held recoveries, no channel) run the real outbox on both backends.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from helpers.cli import sigap_with as sigap
from helpers.websites import news_page
from helpers.websrv import Site, ThreadedWebServer
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from agents.config import Config
from agents.notify.outbox import Alert, enqueue, roles_for
from sop_registry.ledger import cases as case_engine
from sop_registry.ledger import connect, upgrade
from sop_registry.ledger.models import MaintenanceWindow, Notification
from sop_registry.loader import load_registry

WITA = ZoneInfo("Asia/Makassar")
AT = datetime(2026, 11, 30, 9, 0, tzinfo=WITA)
SOP = "kaltim-monitoring-website"
STALE = "Berita/artikel terbaru 45 hari lalu, melewati batas 30 hari"
ADMIN = "budi@dishub.localhost"


@pytest.fixture(scope="module")
def registry():
    return load_registry()


def _write_config(tmp_path: Path, sites: list[dict], smtp_port: int) -> Path:
    listed = "\n".join(
        f"    - {{id: {s['id']}, opd: '{s['opd']}', url: '{s['url']}', owned_by_office: true"
        + (f", admin: {{name: {s['name']}, email: '{s['email']}'}}" if s.get("email") else "")
        + "}"
        for s in sites
    )
    mail = f"mailto://127.0.0.1:{smtp_port}?from=sigap@localhost&to=tim-web@localhost&cc=kabid@localhost"
    path = tmp_path / "sigap.yaml"
    path.write_text(
        f"""
office: {{name: Diskominfo Uji, timezone: Asia/Makassar}}
database: {{url: "sqlite:///{tmp_path / 'ledger.db'}"}}
state_dir: {tmp_path / "state"}
targets:
  websites:
{listed}
notify:
  send_timeout_s: 5
  contacts_channel: tim-web
  channels:
    - id: tim-web
      url: "{mail}"
      roles: ["*"]
""",
        encoding="utf-8",
    )
    return path


def test_one_admin_with_three_stale_sites_gets_one_mail_listing_the_three(tmp_path, mailbox):
    box, smtp_port = mailbox
    now = datetime.now(UTC)
    stale, fresh = news_page(now - timedelta(days=45)), news_page(now - timedelta(days=1))
    hosts = {f"127.0.37.{i}": Site().add("/", stale if i <= 5 else fresh) for i in range(1, 7)}
    with ThreadedWebServer(hosts) as srv:
        urls = [srv.url(h) for h in hosts]
        admins = [ADMIN] * 3 + ["Sari@Dinkes.localhost", "sari@dinkes.localhost", "segar@bappeda.localhost"]
        opds = ["Dinas Perhubungan"] * 3 + ["Dinas Kesehatan"] * 2 + ["Bappeda"]
        sites = [
            {"id": f"s{i}", "opd": opd, "url": url, "name": f"Admin {i}", "email": email}
            for i, (opd, url, email) in enumerate(zip(opds, urls, admins, strict=True), start=1)
        ]
        config = _write_config(tmp_path, sites, smtp_port)
        run = sigap(config, "run", SOP, "--step", "2", "--once")
        assert run.returncode == 0, run.stderr
        assert "5 dibuka" in run.stdout, run.stdout
    sent = sigap(config, "notify", "run", "--once")
    assert sent.returncode == 0, sent.stderr

    by_rcpt: dict[str, list] = {}
    for rcpt, message in box.messages:
        by_rcpt.setdefault(",".join(sorted(rcpt)), []).append(message)
    # The role's one grouped message, one for Budi's three sites, one for the address two sites share;
    # none for the admin of the fresh site, and never the role's people on a contact's mail.
    # (the address as the first site wrote it; addresses are one whatever their case)
    assert set(by_rcpt) == {ADMIN, "kabid@localhost,tim-web@localhost", "Sari@Dinkes.localhost"}, by_rcpt
    assert all(len(messages) == 1 for messages in by_rcpt.values())
    [budi] = by_rcpt[ADMIN]
    assert budi["To"] == ADMIN and budi["Cc"] is None
    assert budi["Subject"].startswith("[Sigap] GANGGUAN: Dinas Perhubungan - 3 kasus - ")
    plain = budi.get_body(("plain",)).get_content()
    assert all(f"{url}: {STALE}" in plain for url in urls[:3]) and urls[3] not in plain
    assert "sigap case ack" not in plain  # an OPD's admin has no sigap to acknowledge with
    assert "Anda menerima pesan ini sebagai kontak yang tercatat di Diskominfo Uji." in plain
    html = budi.get_body(("html",)).get_content()
    assert html.count("<td") == 3 * 7  # the table: a row per site, seven columns
    [sari] = by_rcpt["Sari@Dinkes.localhost"]
    assert all(url in sari.get_body(("plain",)).get_content() for url in urls[3:5])

    listed = json.loads(sigap(config, "notify", "list", "--json").stdout)
    assert {n["role"] for n in listed} == {
        "Bidang Aptika, Admin Website OPD",  # the case's two roles, one channel: one message
        f"kontak: {ADMIN}",
        "kontak: Sari@Dinkes.localhost",
    }, listed
    assert {n["status"] for n in listed} == {"sent"}
    assert sorted(n["recipient"] or "-" for n in listed) == ["-", "Sari@Dinkes.localhost", ADMIN]
    engine = connect(f"sqlite:///{tmp_path / 'ledger.db'}")
    with Session(engine) as s:
        recipients = sorted(
            (n.recipient or {}).get("email", "-") for n in s.scalars(select(Notification))
        )
    engine.dispose()
    assert recipients == ["-", "Sari@Dinkes.localhost", ADMIN]  # ("S" sorts before "b")


# --- the routing rules, on both backends --------------------------------------------------------------


def _config(db_url: str, *, contacts_channel: str | None = "mail", **notify) -> Config:
    return Config.model_validate(_data(db_url, contacts_channel=contacts_channel, **notify))


def _data(db_url: str, *, contacts_channel: str | None = "mail", **notify) -> dict:
    return {
        "office": {"name": "Diskominfo Uji", "timezone": "Asia/Makassar"},
        "database": {"url": db_url},
        "targets": {
            "websites": [
                {
                    "id": "dishub",
                    "opd": "Dinas Perhubungan",
                    "url": "http://127.0.38.1/",
                    "admin": {"name": "Budi", "email": ADMIN},
                },
                {"id": "bappeda", "opd": "Bappeda", "url": "http://127.0.38.2/"},  # no admin on record
            ]
        },
        "notify": {
            "channels": [
                {"id": "tele", "url": "json://127.0.0.1:9/t", "roles": ["*"]},
                {"id": "mail", "url": "mailto://127.0.0.1:9?from=sigap@localhost&to=tim@localhost"},
            ],
            **({"contacts_channel": contacts_channel} if contacts_channel else {}),
            **notify,
        },
    }


@pytest.fixture
def engine(db_url):
    engine = connect(db_url)
    upgrade(engine)
    yield engine
    engine.dispose()


def _fail(session, registry, config, url, at):
    change = case_engine.open_or_update(
        session,
        registry[SOP],
        2,
        url,
        title=f"Dinas Perhubungan: {STALE}",
        at=at,
        role="Admin Website OPD",
        policy=config.case_policy(),
        source="web_freshness",
        data={"site_id": "dishub", "opd": "Dinas Perhubungan", "finding": {"message_id": STALE}},
    )
    return change


def _contact_notes(session) -> list[Notification]:
    return [n for n in session.scalars(select(Notification).order_by(Notification.id)) if n.recipient]


def test_contacts_hear_what_their_site_needs_but_not_the_escalation(engine, db_url, registry):
    config = _config(db_url)
    with Session(engine) as s:
        case = _fail(s, registry, config, "http://127.0.38.1/", AT).case
        for kind in ("opened", "reminder", "breached", "escalated", "resolved"):
            data = {"roles": ["Kepala Bidang TIP"]} if kind == "escalated" else None
            roles = ("Kepala Bidang TIP",) if kind == "escalated" else roles_for(case)
            enqueue(s, [Alert(kind, case, roles, data)], AT, config, registry)
        s.commit()
        told = _contact_notes(s)
        assert [n.kind for n in told] == ["opened", "reminder", "breached", "resolved"]
        assert all(n.recipient == {"email": ADMIN, "name": "Budi", "language": "id"} for n in told)
        assert all(n.channels == ["mail"] and n.role == f"kontak: {ADMIN}" for n in told)
        assert "Anda menerima pesan ini" in told[0].message["id"]["body"]
        # The role's messages are as before: one per kind, through the role's channels.
        roles = [n for n in s.scalars(select(Notification)) if not n.recipient]
        assert [n.kind for n in roles] == ["opened", "reminder", "breached", "escalated", "resolved"]
        assert "sigap case ack" in roles[0].message["id"]["body"]


def test_a_site_without_an_admin_tells_only_the_roles(engine, db_url, registry):
    config = _config(db_url)
    with Session(engine) as s:
        change = case_engine.open_or_update(
            s, registry[SOP], 2, "http://127.0.38.2/", title=f"Bappeda: {STALE}", at=AT,
            role="Admin Website OPD", policy=config.case_policy(), source="web_freshness",
        )
        notes = enqueue(s, [Alert("opened", change.case, roles_for(change.case))], AT, config, registry)
        assert [n.recipient for n in notes] == [None]


def test_without_a_contacts_channel_the_contacts_message_is_recorded_and_logged(
    engine, db_url, registry, caplog
):
    config = _config(db_url, contacts_channel=None)
    with Session(engine) as s, caplog.at_level(logging.WARNING, logger="sigap.notify"):
        case = _fail(s, registry, config, "http://127.0.38.1/", AT).case
        enqueue(s, [Alert("opened", case, roles_for(case))], AT, config, registry)
        s.commit()
        [told] = _contact_notes(s)
    assert told.status == "no_channel" and told.channels == []
    assert "contacts_channel" in told.last_error
    assert any("contacts_channel" in r.getMessage() and ADMIN in r.getMessage() for r in caplog.records)


def test_a_maintenance_window_holds_the_contacts_message_too(engine, db_url, registry):
    config = _config(db_url)
    with Session(engine) as s:
        s.add(
            MaintenanceWindow(
                target="http://127.0.38.*",
                starts_at=AT - timedelta(hours=1),
                ends_at=AT + timedelta(hours=1),
                reason="migrasi server",
                created_at=AT - timedelta(hours=2),
            )
        )
        case = _fail(s, registry, config, "http://127.0.38.1/", AT).case
        notes = enqueue(s, [Alert("opened", case, roles_for(case))], AT, config, registry)
        assert sorted((n.status, bool(n.recipient)) for n in notes) == [
            ("suppressed", False),
            ("suppressed", True),
        ]


def test_a_quick_failure_cancels_the_held_recovery_to_the_contact_too(engine, db_url, registry):
    config = _config(db_url, resolve_hold_minutes=10)
    policy = config.case_policy()
    with Session(engine) as s:
        case = _fail(s, registry, config, "http://127.0.38.1/", AT).case
        enqueue(s, [Alert("opened", case, roles_for(case))], AT, config, registry)
        later = AT + timedelta(minutes=3)
        good = case_engine.record_good(
            s, SOP, 2, "http://127.0.38.1/", at=later, note="segar", policy=policy, source="web_freshness"
        )
        held = enqueue(s, [Alert("resolved", good.case, roles_for(good.case))], later, config, registry)
        assert sorted(bool(n.recipient) for n in held) == [False, True]
        assert all(n.not_before == later + timedelta(minutes=10) for n in held)
        again = _fail(s, registry, config, "http://127.0.38.1/", AT + timedelta(minutes=6))
        assert again.kind == "reopened"
        alert = Alert("reopened", again.case, roles_for(again.case))
        assert enqueue(s, [alert], AT + timedelta(minutes=6), config, registry) == []
        assert [n.status for n in held] == ["cancelled", "cancelled"]  # nobody hears "recovered"
        s.commit()


def test_contacts_channel_must_name_an_email_channel():
    with pytest.raises(ValidationError, match="contacts_channel: no channel with id 'surat'"):
        _config("sqlite:///unused.db", contacts_channel="surat")
    with pytest.raises(ValidationError, match="contacts_channel: channel 'tele' is not an e-mail channel"):
        _config("sqlite:///unused.db", contacts_channel="tele")


def test_a_contact_reads_indonesian_whatever_the_channel_says_unless_it_asks(engine, db_url, registry):
    import asyncio

    from agents.notify.worker import deliver_due

    data = _data(db_url)
    data["notify"]["channels"][1]["language"] = "en"  # the office's English mail, for its roles
    sites = data["targets"]["websites"]
    sites[1]["admin"] = {"email": "intl@bappeda.localhost", "language": "en"}
    config = Config.model_validate(data)
    with Session(engine) as s:
        for site in sites:
            change = case_engine.open_or_update(
                s, registry[SOP], 2, site["url"], title=f"{site['opd']}: {STALE}", at=AT,
                role="Admin Website OPD", policy=config.case_policy(), source="web_freshness",
            )
            enqueue(s, [Alert("opened", change.case, roles_for(change.case))], AT, config, registry)
        s.commit()
    sent: dict[str, str] = {}

    async def send(channel, title, body, *, html=None, to=None):  # the edge: what would be mailed
        if to:
            sent[to[0]] = title

    asyncio.run(deliver_due(engine, config, send, lambda: AT))
    assert sent[ADMIN].startswith("[Sigap] GANGGUAN: Dinas Perhubungan - ")
    assert sent["intl@bappeda.localhost"].startswith("[Sigap] PROBLEM: Bappeda - ")
