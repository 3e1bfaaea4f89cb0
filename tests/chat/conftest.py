"""The office of the console tests (tests/helpers/console.py), with chat: a fake Telegram Bot API and
fake WhatsApp gateways on loopback, and the users' Telegram ids and phone numbers."""

from __future__ import annotations

import asyncio

import pytest
from helpers.console import make_world
from helpers.fake_gateways import FakeGateway
from helpers.fake_telegram import TOKEN, FakeTelegram
from sqlalchemy import select
from sqlalchemy.orm import Session

from agents.chat.hub import build_chat
from agents.notify.outbox import Alert, enqueue, roles_for
from agents.notify.worker import deliver_due
from sop_registry.ledger.models import Case, User

TELEGRAM_IDS = {"tek": "7001", "kabid": "7002", "opda": "7004", "lihat": "7006"}
PHONES = {"tek": "0812-3456-7001", "kabid": "+62 812 3456 7002", "opda": "6281234567004"}
WA_SECRET = "rahasia-webhook-uji-0123456789"
GROUP = "-1001234567"


@pytest.fixture
def fake_tg():
    fake = FakeTelegram()
    yield fake
    fake.stop()


@pytest.fixture
def fake_wa():
    gateway = FakeGateway()
    yield gateway
    gateway.stop()


def chat_config(fake_tg=None, fake_wa=None, gateway: str = "fonnte", **telegram) -> dict:
    chat: dict = {}
    if fake_tg is not None:
        chat["telegram"] = {
            "token": TOKEN,
            "api_base": fake_tg.base,
            "poll_timeout_s": 1,
            "retry_s": 0.1,
            "max_retry_s": 0.4,
            **telegram,
        }
    if fake_wa is not None:
        chat["whatsapp"] = {
            "gateway": gateway,
            "api_base": fake_wa.base,
            "token": "token-uji-gateway",
            "webhook_secret": WA_SECRET,
        }
        if gateway == "wablas":
            chat["whatsapp"]["secret_key"] = "kunci-rahasia"
    return chat


def make_chat_world(
    tmp_path, db_url, *, chat: dict, notify: dict | None = None, public_url: str | None = None
):
    console = {"public_url": public_url} if public_url else {}
    extra = {"chat": chat, "console": console}
    if notify:
        extra["notify"] = notify
    world = make_world(tmp_path, db_url, report=False, **extra)
    with Session(world.engine) as session, session.begin():
        for user in session.scalars(select(User)):
            user.telegram_id = TELEGRAM_IDS.get(user.name)
            user.phone = PHONES.get(user.name)
    return world


def announce(world, key: str = "opd-a", kind: str = "opened") -> int:
    """The case's alert written to the outbox as the runner writes it (agents/runner.py: one Alert per
    case change, roles from roles_for, in the change's transaction)."""
    with Session(world.engine) as session, session.begin():
        case = session.get(Case, world.cases[key])
        enqueue(session, [Alert(kind, case, roles_for(case))], world.clock(), world.config, world.registry)
        return case.id


def deliver(world, chat, send=None) -> None:
    async def refuse(*_a, **_k):  # role channels are not what these tests look at
        return None

    asyncio.run(deliver_due(world.engine, world.config, send or refuse, world.clock, chat=chat))


def hub(world):
    return build_chat(world.config, world.registry, world.engine, world.clock)
