"""A case worked from the console and the API: each button is the case engine's move, as `sigap case`
makes it, recorded under the person's display name, with its notifications in the same transaction."""

from __future__ import annotations

import pytest
import yaml
from helpers.cli import sigap_with
from helpers.console import config_data, csrf_of, make_world
from sqlalchemy import select
from sqlalchemy.orm import Session

from agents.console import accounts
from sop_registry.ledger.models import Case, CaseEvent, Notification


@pytest.fixture
def world(tmp_path, db_url):
    w = make_world(tmp_path, db_url, report=False)
    yield w
    w.close()


def _post(client, path: str, **data):
    page = client.get("/cases")
    return client.post(path, data={"csrf": csrf_of(page.text), **data})


def _case(world, key: str) -> Case:
    with Session(world.engine) as session:
        case = session.get(Case, world.cases[key])
        _loaded = (case.events, case.deadlines)  # before the session closes
        return case


def _outbox(world, case_id: int) -> list[str]:
    with Session(world.engine) as session:
        return [
            n.kind
            for n in session.scalars(select(Notification).order_by(Notification.id))
            if case_id in n.case_ids
        ]


def test_a_technician_works_a_link_case_through(world):
    client, _ = world.login("tek")
    case_id = world.cases["opd-a"]
    base = f"/cases/{case_id}"
    reply = _post(client, f"{base}/ack")
    assert reply.status_code == 303 and reply.headers["location"] == f"{base}?done=ack"
    assert "Tercatat: Tanggapi." in client.get(reply.headers["location"]).text
    assert _post(client, f"{base}/note", note="dicek ke lokasi").status_code == 303
    assert _post(client, f"{base}/hold", provider="Telkom", ticket="IN-123").status_code == 303
    assert _case(world, "opd-a").state == "waiting_provider"
    world.clock.advance(minutes=25)
    assert _post(client, f"{base}/resume").status_code == 303
    case = _case(world, "opd-a")
    assert case.state == "acknowledged" and case.provider_wait_s == 25 * 60
    assert _post(client, f"{base}/step-done", output="teknisi ditugaskan").status_code == 303
    assert _case(world, "opd-a").current_step_no == 3
    assert _post(client, f"{base}/resolve", note="router diganti").status_code == 303
    case = _case(world, "opd-a")
    assert case.state == "resolved" and case.resolved_at == world.clock()
    assert _post(client, f"{base}/reopen", note="putus lagi").status_code == 303
    case = _case(world, "opd-a")
    assert case.state == "open" and case.resolved_at is None
    kinds = [(e.kind, e.actor) for e in case.events]
    assert kinds == [
        ("opened", "link"),
        ("acknowledged", "Budi Teknisi"),
        ("noted", "Budi Teknisi"),
        ("provider_engaged", "Budi Teknisi"),
        ("provider_returned", "Budi Teknisi"),
        ("step_done", "Budi Teknisi"),
        ("resolved", "Budi Teknisi"),
        ("reopened", "Budi Teknisi"),
    ]
    assert case.details["provider"]["ticket"] == "IN-123"
    # written with the moves, as the CLI's: the step's new role told, the recovery, the reopening
    assert _outbox(world, case_id)[-3:] == ["assigned", "resolved", "reopened"]
    page = client.get(base).text
    assert "dicek ke lokasi" in page and "Budi Teknisi" in page


def test_moves_that_do_not_apply_or_lack_a_note(world):
    client, _ = world.login("tek")
    base = f"/cases/{world.cases['opd-a']}"
    assert _post(client, f"{base}/resolve").status_code == 409  # no note
    assert _post(client, f"{base}/resume").status_code == 409  # not waiting for a provider
    assert _post(client, f"{base}/reopen").status_code == 409  # not resolved
    assert _post(client, f"{base}/explode").status_code == 404
    assert _post(client, f"{base}/step-done", to_step="99").status_code == 409
    assert [e.kind for e in _case(world, "opd-a").events] == ["opened"]


def test_an_opd_admin_acknowledges_and_notes_its_own_case(world):
    client, _ = world.login("opda")
    base = f"/cases/{world.cases['opd-a']}"
    assert _post(client, f"{base}/ack").status_code == 303
    assert _post(client, f"{base}/note", note="sudah kami cek").status_code == 303
    assert _post(client, f"{base}/resolve", note="x").status_code == 403
    assert _post(client, f"/cases/{world.cases['opd-b']}/ack").status_code == 404
    events = _case(world, "opd-a").events
    assert [(e.kind, e.actor) for e in events][1:] == [
        ("acknowledged", "Admin Dinkes"),
        ("noted", "Admin Dinkes"),
    ]
    page = client.get(base).text
    assert "Selesaikan" not in page and "Tanggapi" not in page  # no button it may not press


def test_the_api_moves_a_case_with_a_write_token(world):
    with Session(world.engine) as session, session.begin():
        token = accounts.new_token(session, accounts.find_user(session, "tek"), "write", world.clock())[0]
    client = world.client(headers={"Authorization": f"Bearer {token}"})
    case_id = world.cases["opd-b"]
    reply = client.post(f"/api/v1/cases/{case_id}/ack", json={"note": "diterima"})
    assert reply.status_code == 200 and reply.json()["case"]["state"] == "acknowledged"
    assert client.post(f"/api/v1/cases/{case_id}/resolve", json={}).status_code == 400
    assert client.post(f"/api/v1/cases/{case_id}/hold", json={"provider": 5}).status_code == 400
    assert client.post(f"/api/v1/cases/{case_id}/hold", content=b"[1]").status_code == 400
    assert client.post(f"/api/v1/cases/{case_id}/note", json={"note": "a\x00b"}).status_code == 400
    reply = client.post(f"/api/v1/cases/{case_id}/resolve", json={"note": "modem diganti"})
    assert reply.status_code == 200 and reply.json()["change"] == "resolved"
    assert client.post(f"/api/v1/cases/{case_id}/ack", json={}).status_code == 409
    detail = client.get(f"/api/v1/cases/{case_id}").json()
    assert [e["kind"] for e in detail["events"]] == ["opened", "acknowledged", "resolved"]
    assert {e["actor"] for e in detail["events"][1:]} == {"Budi Teknisi"}
    assert detail["actions"] == ["note", "reopen"]


def test_console_and_cli_make_the_same_record(tmp_path):
    """`sigap case ack ID --by NAME` and the console's button, on two like cases of one ledger."""
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    world = make_world(tmp_path, url, report=False)
    try:
        config = tmp_path / "sigap.yaml"
        config.write_text(yaml.safe_dump(config_data(tmp_path, url)))
        done = sigap_with(config, "case", "ack", str(world.cases["opd-b"]), "--by", "Budi Teknisi")
        assert done.returncode == 0, done.stderr
        client, _ = world.login("tek")
        assert _post(client, f"/cases/{world.cases['opd-a']}/ack").status_code == 303

        def record(key):
            case = _case(world, key)
            e = case.events[-1]
            return (
                case.state,
                case.acknowledged_by,
                case.revision,
                e.kind,
                e.actor,
                e.from_state,
                e.to_state,
            )

        assert (
            record("opd-a")
            == record("opd-b")
            == ("acknowledged", "Budi Teknisi", 1, "acknowledged", "Budi Teknisi", "open", "acknowledged")
        )
        with Session(world.engine) as session:
            assert session.query(CaseEvent).count() == 5  # three opened, two acknowledged
    finally:
        world.close()
