"""WhatsApp through fake Fonnte, Wablas and WAHA endpoints on loopback (tests/helpers/fake_gateways.py):
outbound messages have each gateway's documented shape; an inbound ACK 12 from a mapped number at the
console's webhook acknowledges the case as that user and is answered on the same channel; a wrong
secret or HMAC is 401 and changes nothing; an unknown number is refused; a replayed id is one event."""

from __future__ import annotations

import json

import pytest
from conftest import PHONES, WA_SECRET, announce, chat_config, deliver, hub, make_chat_world
from helpers.fake_gateways import fonnte_event, wablas_event, waha_event
from sqlalchemy import select
from sqlalchemy.orm import Session

from sop_registry.ledger.models import Case, CaseEvent

TEK_PHONE = "6281234567001"


def _world(tmp_path, db_url, fake_wa, gateway):
    return make_chat_world(tmp_path, db_url, chat=chat_config(fake_wa=fake_wa, gateway=gateway))


def _events(world, case_id: int) -> list[CaseEvent]:
    with Session(world.engine) as session:
        return list(
            session.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.seq))
        )


@pytest.mark.parametrize("gateway", ["fonnte", "wablas", "waha"])
def test_outbound_messages_have_each_gateways_documented_shape(tmp_path, fake_wa, gateway):
    world = _world(tmp_path, f"sqlite:///{tmp_path / 'ledger.db'}", fake_wa, gateway)
    try:
        case_id = announce(world, "opd-a")
        deliver(world, hub(world))
        [sent] = [r for r in fake_wa.received if TEK_PHONE in json.dumps(r)]
        if gateway == "fonnte":
            assert sent["path"] == "/send"
            assert sent["headers"]["authorization"] == "token-uji-gateway"
            assert sent["form"]["target"] == TEK_PHONE
            text = sent["form"]["message"]
        elif gateway == "wablas":
            assert sent["path"] == "/api/send-message"
            assert sent["headers"]["authorization"] == "token-uji-gateway.kunci-rahasia"
            assert sent["form"]["phone"] == TEK_PHONE
            text = sent["form"]["message"]
        else:
            assert sent["path"] == "/api/sendText"
            assert sent["headers"]["x-api-key"] == "token-uji-gateway"
            assert sent["json"]["chatId"] == f"{TEK_PHONE}@c.us" and sent["json"]["session"] == "default"
            text = sent["json"]["text"]
        assert "opd-a" in text
        assert (
            f"Balas: ACK {case_id} | TUNDA {case_id} <penyedia> <tiket> | SELESAI {case_id} <catatan>" in text
        )
    finally:
        world.close()


def _post(
    world, gateway: str, text: str, message_id: str, phone: str = TEK_PHONE, *, secret=WA_SECRET, key=None
):
    client = world.client()
    if gateway == "waha":
        body, headers = waha_event(phone, text, message_id, key or WA_SECRET)
        return client.post("/chat/whatsapp", content=body, headers=headers)
    event = (
        fonnte_event(phone, text, message_id)
        if gateway == "fonnte"
        else wablas_event(phone, text, message_id)
    )
    return client.post(f"/chat/whatsapp/{secret}", json=event)


@pytest.mark.parametrize("gateway", ["fonnte", "wablas", "waha"])
def test_inbound_ack_from_a_mapped_number_acknowledges_and_is_answered(tmp_path, db_url, fake_wa, gateway):
    world = _world(tmp_path, db_url, fake_wa, gateway)
    try:
        case_id = world.cases["opd-a"]
        before = len(_events(world, case_id))
        reply = _post(world, gateway, f"ACK {case_id}", "MSG-1", phone="0812-3456-7001")
        assert reply.status_code == 200, reply.text
        again = _post(world, gateway, f"ACK {case_id}", "MSG-1")  # the gateway retries
        assert again.status_code == 200
        events = _events(world, case_id)
        assert len(events) == before + 1
        assert (events[-1].kind, events[-1].actor) == ("acknowledged", "Budi Teknisi")
        answers = [json.dumps(r) for r in fake_wa.received]
        assert len(answers) == 1  # the replay is not answered either
        if gateway != "waha":  # the secret as a header, for a gateway that can add one
            headers = {"X-Sigap-Secret": WA_SECRET}
            event = (
                fonnte_event(TEK_PHONE, "KASUS", "MSG-2")
                if gateway == "fonnte"
                else wablas_event(TEK_PHONE, "KASUS", "MSG-2")
            )
            assert world.client().post("/chat/whatsapp", json=event, headers=headers).status_code == 200
            assert "Kasus terbuka" in json.dumps(fake_wa.received[-1])
        assert f"Kasus #{case_id} ditanggapi oleh Budi Teknisi, 14.05 WITA" in answers[0]
        assert TEK_PHONE in answers[0]
    finally:
        world.close()


@pytest.mark.parametrize("gateway", ["fonnte", "wablas", "waha"])
def test_a_wrong_secret_or_hmac_is_401_and_changes_nothing(tmp_path, fake_wa, gateway):
    world = _world(tmp_path, f"sqlite:///{tmp_path / 'ledger.db'}", fake_wa, gateway)
    try:
        case_id = world.cases["opd-a"]
        before = len(_events(world, case_id))
        if gateway == "waha":
            reply = _post(world, gateway, f"ACK {case_id}", "M1", key="kunci-yang-salah-sekali")
            body, headers = waha_event(TEK_PHONE, f"ACK {case_id}", "M2", WA_SECRET)
            unsigned = world.client().post(
                "/chat/whatsapp", content=body, headers={"Content-Type": "application/json"}
            )
            assert unsigned.status_code == 401
            tampered = world.client().post(
                "/chat/whatsapp", content=body.replace(b"ACK", b"ack"), headers=headers
            )
            assert tampered.status_code == 401
        else:
            reply = _post(world, gateway, f"ACK {case_id}", "M1", secret="rahasia-yang-salah-sekali")
            assert world.client().post("/chat/whatsapp", json={"sender": TEK_PHONE}).status_code == 401
            wrong = {"X-Sigap-Secret": "rahasia-yang-salah-sekali"}
            event = fonnte_event(TEK_PHONE, f"ACK {case_id}", "M9")
            assert world.client().post("/chat/whatsapp", json=event, headers=wrong).status_code == 401
        assert reply.status_code == 401
        assert len(_events(world, case_id)) == before
        assert fake_wa.received == []
    finally:
        world.close()


def test_an_unknown_number_is_refused_and_moves_go_through_the_console_rules(tmp_path, fake_wa):
    world = _world(tmp_path, f"sqlite:///{tmp_path / 'ledger.db'}", fake_wa, "fonnte")
    try:
        case_id = world.cases["opd-a"]
        before = len(_events(world, case_id))
        assert _post(world, "fonnte", f"ACK {case_id}", "X1", phone="6289999999999").status_code == 200
        assert len(_events(world, case_id)) == before
        assert "tidak terdaftar di Sigap" in fake_wa.received[-1]["form"]["message"]
        assert fake_wa.received[-1]["form"]["target"] == "6289999999999"
        # OPD A's admin may not touch OPD B's case, and may not hold at all
        opda = PHONES["opda"]
        _post(world, "fonnte", f"ACK {world.cases['opd-b']}", "X2", phone=opda)
        assert fake_wa.received[-1]["form"]["message"] == f"Kasus #{world.cases['opd-b']} tidak ditemukan."
        _post(world, "fonnte", f"TUNDA {case_id} Telkom TKT-9", "X3", phone=opda)
        assert "tidak berwenang" in fake_wa.received[-1]["form"]["message"]
        # the technician holds and resolves by text
        _post(world, "fonnte", f"TUNDA {case_id} Telkom TKT-123", "X4")
        event = _events(world, case_id)[-1]
        assert (event.kind, event.data["provider"], event.data["ticket"]) == (
            "provider_engaged",
            "Telkom",
            "TKT-123",
        )
        _post(world, "fonnte", f"SELESAI {case_id} kabel putus", "X5")
        with Session(world.engine) as session:
            assert session.get(Case, case_id).state == "resolved"
        assert _events(world, case_id)[-1].note == "kabel putus"
        _post(world, "fonnte", "KASUS", "X6")
        assert fake_wa.received[-1]["form"]["message"].startswith("Kasus terbuka (")
    finally:
        world.close()
