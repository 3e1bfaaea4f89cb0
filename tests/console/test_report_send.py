"""Laporan's "Kirim ulang": a stored revision sent again from the console and the API, through a real
SMTP server (aiosmtpd on loopback), recorded as `sigap report send` records it; a mail server that
refuses is a 502 that says so, and the archive keeps the revision unsent."""

from __future__ import annotations

from helpers.console import WEEK, csrf_of, make_world
from helpers.netservers import free_port
from sqlalchemy import select
from sqlalchemy.orm import Session

from agents.console import accounts
from sop_registry.ledger.models import StepRun

RECIPIENT = "kabid.aptika@kab.test"


def _world(tmp_path, port: int):
    report = {
        "recipients": [RECIPIENT],
        "smtp": {"host": "127.0.0.1", "port": port, "security": "none", "sender": "sigap@kab.test"},
    }
    return make_world(tmp_path, f"sqlite:///{tmp_path / 'ledger.db'}", report_settings=report)


def _send(client, revision: str = "1"):
    token = csrf_of(client.get("/reports").text)
    form = {"csrf": token, "revision": revision}
    return client.post(f"/reports/{WEEK}/send", data=form, follow_redirects=False)


def _deliveries(world) -> list[StepRun]:
    with Session(world.engine) as s:
        query = select(StepRun).where(
            StepRun.step_no == 2,
            StepRun.sop_id == "kaltim-monitoring-website",
            StepRun.agent != "web_freshness",  # the crawl's own runs (the world's) are step 2 as well
        )
        return list(s.scalars(query))


def test_the_kepala_bidang_sends_a_revision_again(tmp_path, mailbox):
    box, port = mailbox
    world = _world(tmp_path, port)
    try:
        kabid = world.login("kabid")[0]
        assert 'class="send-again"' in kabid.get("/reports").text
        reply = _send(kabid)
        assert reply.status_code == 303 and reply.headers["location"] == f"/reports?sent={WEEK}&to=1"
        assert len(box.messages) == 1 and box.messages[0][0] == [RECIPIENT]
        assert "Minggu ke-48 tahun 2026" in str(box.messages[0][1]["Subject"])
        page = kabid.get(reply.headers["location"]).text
        assert f"Laporan {WEEK} dikirim ulang ke 1 penerima." in page
        runs = _deliveries(world)
        assert [r.status for r in runs] == ["ok"]
        # the API sends it again the same way
        with Session(world.engine) as s, s.begin():
            token = accounts.new_token(s, accounts.find_user(s, "kabid"), "write", world.clock())[0]
        api = world.client()
        bearer = {"Authorization": f"Bearer {token}"}
        answer = api.post(f"/api/v1/reports/{WEEK}/send", headers=bearer, json={})
        api.close()
        assert answer.status_code == 200, answer.text
        assert answer.json() == {"week": WEEK, "revision": 1, "recipients": [RECIPIENT]}
        assert len(box.messages) == 2 and len(_deliveries(world)) == 2
    finally:
        world.close()


def test_who_may_not_send_and_what_is_not_there(tmp_path, mailbox):
    box, port = mailbox
    world = _world(tmp_path, port)
    try:
        for who, status in (("tek", 403), ("lihat", 403), ("opda", 404)):
            client = world.login(who)[0]
            page = client.get("/reports").text
            assert 'class="send-again"' not in page
            token = csrf_of(client.get("/cases").text)
            reply = client.post(f"/reports/{WEEK}/send", data={"csrf": token, "revision": "1"})
            assert reply.status_code == status, who
        admin = world.login("admin")[0]
        assert _send(admin, "9").status_code == 409  # no such revision
        token = csrf_of(admin.get("/reports").text)
        assert admin.post("/reports/2026-W01/send", data={"csrf": token}).status_code == 404
        assert admin.post(f"/reports/{WEEK}/send", data={"revision": "1"}).status_code == 403  # no CSRF
        assert box.messages == []
    finally:
        world.close()


def test_a_refusing_mail_server_is_a_502_that_says_so(tmp_path):
    world = _world(tmp_path, free_port())  # nothing listens there
    try:
        kabid = world.login("kabid")[0]
        reply = _send(kabid)
        assert reply.status_code == 502
        assert f"Laporan {WEEK} tidak terkirim" in reply.text
        assert [r.status for r in _deliveries(world)] == ["error"]
        assert "Dikirim 0 kali" in kabid.get("/reports").text  # the archive records no send
    finally:
        world.close()
