"""Notifications while the uplink is down: every channel fails for 48 hours. The worker's real retry
logic against a failing edge (the send function), the clock stepped to each next attempt."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from agents.config import Config
from agents.notify.outbox import Alert, enqueue
from agents.notify.worker import DeliveryError, deliver_due
from sop_registry.ledger import cases as case_engine
from sop_registry.ledger import connect, upgrade
from sop_registry.ledger.models import Notification
from sop_registry.loader import load_registry

WITA = ZoneInfo("Asia/Makassar")
START = datetime(2026, 11, 23, 8, 0, tzinfo=WITA)


def _config(**retry) -> Config:
    return Config.model_validate(
        {
            "office": {"name": "Diskominfo Uji", "timezone": "Asia/Makassar"},
            "database": {"url": "sqlite:///unused.db"},
            "notify": {
                "retry": retry,
                "channels": [
                    {"id": "tele", "url": "json://127.0.0.1:9/t", "roles": ["Teknisi Jaringan"]},
                    {"id": "mail", "url": "json://127.0.0.1:9/m", "roles": ["*"]},
                ],
            },
        }
    )


async def _down(channel, title, body):  # the edge: the uplink is down, every channel refuses
    raise DeliveryError(f"channel {channel.id}: 451 4.3.0 coba lagi nanti")


def test_every_channel_down_for_48_hours_is_tens_of_attempts_an_hour_not_a_storm(tmp_path):
    config = _config(attempts_per_channel=1)  # the setting that made 2,629 attempts in 93 s
    registry = load_registry(())
    engine = connect(f"sqlite:///{tmp_path / 'ledger.db'}")
    upgrade(engine)
    with Session(engine) as s:
        change = case_engine.open_or_update(
            s, registry["polman-15"], 1, "opd-a", title="Gangguan jaringan opd-a", at=START,
            role="Teknisi Jaringan", policy=config.case_policy(), source="link",
        )
        enqueue(s, [Alert("opened", change.case, ("Teknisi Jaringan",))], START, config, registry)
        s.commit()
    now = START
    per_hour: Counter[int] = Counter()
    for _ in range(20_000):  # a storm would make millions; the loop is bounded either way
        stats = asyncio.run(deliver_due(engine, config, _down, lambda now=now: now))
        per_hour[int((now - START).total_seconds() // 3600)] += stats.failed
        with Session(engine) as s:
            note = s.scalars(select(Notification)).one()
            if note.status != "pending":
                break
            now = max(note.next_attempt_at.astimezone(WITA), now)  # step to the next attempt
    assert note.status == "dead"  # given up after give_up_after_hours (48), as configured
    attempts = sum(per_hour.values())
    # 30 s doubling to 900 s across the chain: at most 2 attempts (one per channel) per 15 minutes.
    assert attempts < 500, attempts
    assert max(count for hour, count in per_hour.items() if hour >= 1) <= 8, per_hour
    assert "451 4.3.0 coba lagi nanti" in note.last_error  # the server's answer is on record
    engine.dispose()
