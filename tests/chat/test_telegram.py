"""The Telegram bot against a fake Bot API on loopback (tests/helpers/fake_telegram.py): a link case
reaches the mapped technician with the three buttons, a press acknowledges it as that user (the event
log says so, as the console's button would) and edits the message; a second press makes no second
event; strangers and other OPDs are refused; Tunda asks for and records the provider and ticket."""

from __future__ import annotations

import asyncio

import pytest
from conftest import GROUP, TELEGRAM_IDS, announce, chat_config, deliver, hub, make_chat_world
from sqlalchemy import select
from sqlalchemy.orm import Session

from sop_registry.ledger.models import Case, CaseEvent, ChatState, Notification

TEK = int(TELEGRAM_IDS["tek"])


@pytest.fixture
def world(tmp_path, db_url, fake_tg):
    w = make_chat_world(
        tmp_path,
        db_url,
        chat=chat_config(fake_tg, groups=[{"chat_id": GROUP, "roles": ["Teknisi Jaringan"]}]),
        public_url="https://sigap.example.go.id",
    )
    yield w
    w.close()


def _events(world, case_id: int) -> list[CaseEvent]:
    with Session(world.engine) as session:
        return list(
            session.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.seq))
        )


def _poll(chat, times: int = 1) -> None:
    async def go():
        for _ in range(times):
            await chat.telegram.poll_once()
        await chat.aclose()

    asyncio.run(go())


def _to(fake, chat_id) -> list[dict]:
    return [m for m in fake.sent if str(m["chat"]["id"]) == str(chat_id)]


def _buttons(message) -> list[str]:
    return [b["text"] for row in message["reply_markup"]["inline_keyboard"] for b in row]


def _data(message, label: str) -> str:
    return next(
        b["callback_data"]
        for row in message["reply_markup"]["inline_keyboard"]
        for b in row
        if b["text"] == label
    )


def test_a_link_case_reaches_the_technician_and_tanggapi_acknowledges_it_once(world, fake_tg):
    case_id = announce(world, "opd-a")
    deliver(world, hub(world))
    [message] = _to(fake_tg, TEK)
    assert _buttons(message) == ["Tanggapi", "Tunda (penyedia)", "Selesai", "Buka di konsol"]
    link = message["reply_markup"]["inline_keyboard"][-1][0]
    assert link["url"] == f"https://sigap.example.go.id/cases/{case_id}"
    assert "opd-a" in message["text"]
    assert "sigap case ack" not in message["text"]  # the buttons do it here
    assert _to(fake_tg, GROUP), "the team group gets the case message too"
    with Session(world.engine) as session:
        rows = session.scalars(select(Notification).where(Notification.role.like("pengguna:%"))).all()
        assert {n.status for n in rows} == {"sent"} and {n.sent_via for n in rows} == {"@telegram"}

    before = len(_events(world, case_id))
    fake_tg.press(TEK, message, _data(message, "Tanggapi"))
    fake_tg.press(TEK, message, _data(message, "Tanggapi"))  # pressed twice
    _poll(hub(world))
    events = _events(world, case_id)
    assert len(events) == before + 1
    assert (events[-1].kind, events[-1].actor) == ("acknowledged", "Budi Teknisi")
    with Session(world.engine) as session:
        assert session.get(Case, case_id).acknowledged_by == "Budi Teknisi"
    first, second = fake_tg.answers[-2:]
    assert first["text"] == f"Kasus #{case_id} ditanggapi oleh Budi Teknisi, 14.05 WITA"
    assert "sudah ditanggapi" in second["text"]
    # every message about the case (the technician's, the group's) now says who and when
    edited = {str(e["chat_id"]) for e in fake_tg.edits}
    assert {str(TEK), GROUP} <= edited
    assert "ditanggapi oleh Budi Teknisi, 14.05 WITA" in _to(fake_tg, TEK)[0]["text"]
    assert _buttons(_to(fake_tg, TEK)[0]) == ["Tunda (penyedia)", "Selesai", "Buka di konsol"]


def test_a_stranger_and_an_other_opds_admin_are_refused(world, fake_tg):
    case_id = announce(world, "opd-a")
    deliver(world, hub(world))
    [message] = _to(fake_tg, TEK)
    before = len(_events(world, case_id))
    opd_b = world.cases["opd-b"]
    before_b = len(_events(world, opd_b))
    fake_tg.press(999, message, _data(message, "Tanggapi"), name="Orang Lain")  # not a Sigap user
    # OPD B's case: Dinkes's admin (OPD A) may ack only its own OPD's cases
    fake_tg.say(int(TELEGRAM_IDS["opda"]), f"/ack {opd_b}")
    fake_tg.say(int(TELEGRAM_IDS["lihat"]), f"/ack {case_id}")  # a viewer may not act
    _poll(hub(world))
    assert len(_events(world, case_id)) == before
    assert len(_events(world, opd_b)) == before_b
    with Session(world.engine) as session:
        assert session.get(Case, opd_b).acknowledged_at is None
        assert session.get(Case, case_id).acknowledged_at is None
    assert "tidak terdaftar" in fake_tg.answers[-1]["text"]
    assert fake_tg.answers[-1]["show_alert"] is True
    replies = [m["text"] for m in fake_tg.sent if m["chat"]["id"] in (7004, 7006)]
    assert replies == [
        f"Kasus #{opd_b} tidak ditemukan.",
        f"Anda tidak berwenang untuk itu pada kasus #{case_id}.",
    ]


def test_a_forged_button_is_refused(world, fake_tg):
    case_id = announce(world, "opd-a")
    deliver(world, hub(world))
    [message] = _to(fake_tg, TEK)
    data = _data(message, "Tunda (penyedia)")
    forged = data.replace(f":{case_id}:", f":{world.cases['opd-b']}:")
    fake_tg.press(TEK, message, forged)
    _poll(hub(world))
    assert fake_tg.answers[-1]["text"] == "Perintah tidak dikenal. Ketik /bantuan."


def test_tunda_asks_for_the_provider_and_ticket_and_records_them(world, fake_tg):
    case_id = announce(world, "opd-a")
    deliver(world, hub(world))
    [message] = _to(fake_tg, TEK)
    fake_tg.press(TEK, message, _data(message, "Tunda (penyedia)"))
    _poll(hub(world))
    question = _to(fake_tg, TEK)[-1]
    assert question["text"].startswith(f"Kasus #{case_id}: penyedia dan nomor tiketnya?")
    assert question["reply_markup"]["force_reply"] is True
    fake_tg.say(TEK, "Telkom TKT-123", reply_to=question["message_id"])
    _poll(hub(world))
    event = _events(world, case_id)[-1]
    assert (event.kind, event.actor) == ("provider_engaged", "Budi Teknisi")
    assert event.data["provider"] == "Telkom" and event.data["ticket"] == "TKT-123"
    with Session(world.engine) as session:
        assert session.get(Case, case_id).state == "waiting_provider"
    assert _to(fake_tg, TEK)[-1]["text"] == (
        f"Kasus #{case_id} ditunda menunggu Telkom (tiket TKT-123) oleh Budi Teknisi, 14.05 WITA"
    )
    assert _buttons(_to(fake_tg, TEK)[0]) == ["Selesai", "Buka di konsol"]


def test_selesai_asks_for_a_note_and_commands_work(world, fake_tg):
    case_id = announce(world, "opd-a")
    deliver(world, hub(world))
    [message] = _to(fake_tg, TEK)
    fake_tg.say(TEK, "/kasus")
    fake_tg.say(TEK, "/status")
    fake_tg.say(TEK, "/bantuan")
    fake_tg.press(TEK, message, _data(message, "Selesai"))
    _poll(hub(world))
    kasus, status, bantuan, question = (m["text"] for m in _to(fake_tg, TEK)[1:])
    assert kasus.startswith("Kasus terbuka (")
    assert f"#{case_id} Tautan opd-a putus" in kasus
    assert status.startswith("Status Diskominfo Uji, minggu ini (2026-W49)")
    assert "/selesai 12 catatan" in bantuan
    assert question.startswith(f"Kasus #{case_id}: catatan penyelesaian")
    fake_tg.say(TEK, "kabel putus sudah disambung")
    _poll(hub(world))
    event = _events(world, case_id)[-1]
    assert (event.kind, event.actor, event.note) == (
        "resolved",
        "Budi Teknisi",
        "kabel putus sudah disambung",
    )
    # and the typed form
    other = world.cases["opd-b"]
    fake_tg.say(TEK, f"/selesai {other} ganti konektor")
    _poll(hub(world))
    assert _events(world, other)[-1].kind == "resolved"


def test_the_offset_is_kept_across_a_restart_and_no_update_is_handled_twice(world, fake_tg):
    case_id = announce(world, "opd-a")
    deliver(world, hub(world))
    [message] = _to(fake_tg, TEK)
    last = fake_tg.press(TEK, message, _data(message, "Tanggapi"))
    _poll(hub(world))  # the first life of the bot
    with Session(world.engine) as session:
        assert session.get(ChatState, "telegram.123456.offset").value == str(last + 1)
    fake_tg.replay = True  # Telegram sends everything again (the confirmation was lost)
    fake_tg.say(TEK, "/kasus")
    _poll(hub(world))  # a new bot, as after a restart of sigap serve
    assert fake_tg.offsets[-1] == last + 1
    kinds = [e.kind for e in _events(world, case_id)]
    assert kinds.count("acknowledged") == 1
    assert sum(m["text"].startswith("Kasus terbuka") for m in _to(fake_tg, TEK)) == 1


def test_while_telegram_is_unreachable_the_bot_backs_off_and_other_channels_deliver(
    tmp_path, db_url, fake_tg, fake_wa, gateway
):
    world = make_chat_world(
        tmp_path,
        db_url,
        chat=chat_config(fake_tg, fake_wa),
        notify={
            "retry": {"attempts_per_channel": 1, "backoff_s": 0.1, "max_backoff_s": 0.2},
            "channels": [{"id": "wa-tim", "url": f"json://127.0.0.1:{gateway.port}/kirim", "roles": ["*"]}],
        },
    )
    try:
        fake_tg.down = True
        announce(world, "opd-a")
        chat = hub(world)
        from agents.notify.worker import AppriseSender

        deliver(world, chat, AppriseSender(5))
        assert gateway.received, "the role channel still delivers"
        with Session(world.engine) as session:
            tek = session.scalars(
                select(Notification).where(Notification.role == "pengguna: Budi Teknisi")
            ).one()
            assert tek.status == "pending" and tek.channel_pos == 1  # Telegram failed: WhatsApp next
        world.clock.advance(seconds=1)
        deliver(world, hub(world))
        with Session(world.engine) as session:
            tek = session.get(Notification, tek.id)
            assert (tek.status, tek.sent_via) == ("sent", "@whatsapp")
        assert any(r["form"]["target"] == "6281234567001" for r in fake_wa.received)

        async def run_for(seconds: float) -> None:
            stop = asyncio.Event()
            bot = hub(world)
            task = asyncio.create_task(bot.run(stop))
            await asyncio.sleep(seconds)
            stop.set()
            await asyncio.wait_for(task, 3)
            await bot.aclose()

        fake_tg.refused = 0
        asyncio.run(run_for(2.0))
        # retry_s 0.1 doubling to max_retry_s 0.4: about 7 tries in 2 s, not a busy loop
        assert 3 <= fake_tg.refused <= 10
        fake_tg.down = False
        fake_tg.say(TEK, "/bantuan")
        asyncio.run(run_for(1.5))
        assert any("Perintah Sigap" in m["text"] for m in _to(fake_tg, TEK))
    finally:
        world.close()


def test_in_a_team_group_any_mapped_member_may_act_and_strangers_are_refused(world, fake_tg):
    case_id = announce(world, "opd-a")
    deliver(world, hub(world))
    [message] = _to(fake_tg, GROUP)
    assert _buttons(message)[:3] == ["Tanggapi", "Tunda (penyedia)", "Selesai"]
    fake_tg.press(555, message, _data(message, "Tanggapi"), name="Tamu")  # in the group, not a Sigap user
    kabid = int(TELEGRAM_IDS["kabid"])
    fake_tg.press(kabid, message, _data(message, "Tanggapi"), name="Andi")
    _poll(hub(world))
    refused, done = fake_tg.answers[-2:]
    assert "tidak terdaftar" in refused["text"]
    assert done["text"] == f"Kasus #{case_id} ditanggapi oleh Ir. Andi Basri, 14.05 WITA"
    assert [e.actor for e in _events(world, case_id) if e.kind == "acknowledged"] == ["Ir. Andi Basri"]
    fake_tg.say(555, "obrolan biasa di grup", chat_id=int(GROUP))  # a group's chatter is not answered
    _poll(hub(world))
    assert not [m for m in _to(fake_tg, GROUP) if "tidak terdaftar" in m["text"]]


def test_a_sites_words_stay_plain_text(world, fake_tg):
    announce(world, "dishub")  # its title carries <script> from the site
    deliver(world, hub(world))
    for params in fake_tg.calls_of("sendMessage"):
        assert "parse_mode" not in params  # Telegram shows the words, never markup


def test_webhook_mode_checks_telegrams_secret_token(tmp_path, db_url, fake_tg):
    world = make_chat_world(
        tmp_path,
        db_url,
        chat=chat_config(fake_tg, mode="webhook", webhook_secret="rahasia-token-webhook-1"),
        public_url="https://sigap.example.go.id",
    )
    try:
        case_id = world.cases["opd-a"]
        update = {
            "update_id": 77,
            "message": {
                "message_id": 5,
                "from": {"id": TEK, "is_bot": False, "first_name": "Budi"},
                "chat": {"id": TEK, "type": "private"},
                "text": f"/ack {case_id}",
            },
        }
        client = world.client()
        wrong = {"X-Telegram-Bot-Api-Secret-Token": "salah"}
        assert client.post("/chat/telegram", json=update, headers=wrong).status_code == 401
        assert client.post("/chat/telegram", json=update).status_code == 401
        assert not [e for e in _events(world, case_id) if e.kind == "acknowledged"]
        right = {"X-Telegram-Bot-Api-Secret-Token": "rahasia-token-webhook-1"}
        assert client.post("/chat/telegram", json=update, headers=right).status_code == 200
        assert client.post("/chat/telegram", json=update, headers=right).status_code == 200  # resent
        assert [e.actor for e in _events(world, case_id) if e.kind == "acknowledged"] == ["Budi Teknisi"]
        assert _to(fake_tg, TEK)[-1]["text"] == f"Kasus #{case_id} ditanggapi oleh Budi Teknisi, 14.05 WITA"

        async def start():
            bot = hub(world)
            await bot.telegram.start(asyncio.Event())
            await bot.aclose()

        asyncio.run(start())
        [hook] = fake_tg.calls_of("setWebhook")
        assert hook["url"] == "https://sigap.example.go.id/chat/telegram"
        assert hook["secret_token"] == "rahasia-token-webhook-1"
    finally:
        world.close()


def test_a_move_made_in_the_console_edits_the_chat_messages_too(world, fake_tg):
    from helpers.console import csrf_of

    case_id = announce(world, "opd-a")
    deliver(world, hub(world))
    client, _ = world.login("tek")
    page = client.get("/cases")
    assert (
        client.post(
            f"/cases/{case_id}/hold", data={"csrf": csrf_of(page.text), "provider": "Icon Plus"}
        ).status_code
        == 303
    )

    async def sync():
        bot = hub(world)
        edits = await bot.telegram.sync()
        again = await bot.telegram.sync()  # nothing new: no second edit
        await bot.aclose()
        return edits, again

    edits, again = asyncio.run(sync())
    assert again == 0 and edits == 3  # the technician's, the Kepala Bidang's and the group's messages
    text = _to(fake_tg, TEK)[0]["text"]
    assert text.endswith(f"✔ Kasus #{case_id} ditunda menunggu Icon Plus oleh Budi Teknisi, 14.05 WITA")
    assert _buttons(_to(fake_tg, TEK)[0]) == ["Selesai", "Buka di konsol"]
