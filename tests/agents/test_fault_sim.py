"""Alert noise over a simulated day: the real link agent, runner, case engine, SLA sweep and outbox,
with only the probe replies simulated (the edge) and the clock stepped one minute at a time."""

from __future__ import annotations

import asyncio
import random
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from agents import kinds
from agents.config import Config
from agents.kinds import RunContext
from agents.kinds import link as link_agent
from agents.runner import run_step
from agents.sla import sweep
from checks.link import ProbeResult
from sop_registry.ledger import Case, Notification, connect, upgrade
from sop_registry.loader import load_registry

WITA = ZoneInfo("Asia/Makassar")
DAY_START = datetime(2026, 11, 23, 0, 0, tzinfo=WITA)  # a Monday: the office day is inside the run


def day_config(tmp_path, n_links: int) -> Config:
    return Config.model_validate(
        {
            "office": {"name": "Diskominfo Uji", "timezone": "Asia/Makassar"},
            "database": {"url": f"sqlite:///{tmp_path / 'ledger.db'}"},
            "state_dir": str(tmp_path / "state"),
            "targets": {
                "links": [
                    {
                        "id": f"opd-{i:03d}",
                        "opd": f"OPD {i}",
                        "host": "127.0.0.1",
                        "contracted_down_mbps": 20,
                        "contracted_up_mbps": 10,
                    }
                    for i in range(n_links)
                ]
            },
            "notify": {"channels": [{"id": "semua", "url": "json://127.0.0.1:9/x", "roles": ["*"]}]},
        }
    )


def simulate_day(tmp_path, monkeypatch, n_links: int, good_probe) -> tuple[int, list[Notification], int]:
    """Run the polman-15 link step every minute for 24 h; `good_probe(link_index, minute, probe_no)`."""
    config = day_config(tmp_path, n_links)
    registry = load_registry()
    engine = connect(config.database_url())
    upgrade(engine)
    minute = [0]

    async def replies(targets, settings):
        out = []
        for i, _ in enumerate(targets):
            got = sum(good_probe(i, minute[0], p) for p in range(settings.probes))
            out.append(ProbeResult(sent=settings.probes, received=got, rtts_ms=[1.0] * got))
        return out

    monkeypatch.setattr(link_agent, "probe_all", replies)
    sop = registry["polman-15"]
    down_findings = 0
    for m in range(24 * 60):
        minute[0] = m
        now = DAY_START + timedelta(minutes=m)
        result = asyncio.run(
            run_step(
                config, engine, sop, 1, clock=lambda now=now: now, trigger="scheduled", registry=registry
            )
        )
        assert result.status != "error"
        down_findings += result.status == "crit"
        sweep(engine, config, registry, lambda now=now: now)
    with Session(engine) as s:
        notes = list(s.scalars(select(Notification).order_by(Notification.id)))
        cases = s.scalar(select(func.count()).select_from(Case))
    engine.dispose()
    return down_findings, [n for n in notes if n.status == "pending"], cases


def test_random_probe_loss_gives_no_down_notification(tmp_path, monkeypatch):
    """200 links, 10% of probes lost at random, no outage, 1,440 checks each. The agent is run as the
    runner runs it (its memory carried from check to check); notifications come only from failing
    case intents (the flapping test below follows those through the ledger and the outbox), so none
    may appear. The ledger writes are left out here: 288,000 findings would take minutes to store."""
    rng = random.Random(20261123)
    lost, total = [0], [0]

    def replies_for(targets, settings):
        out = []
        for _ in targets:
            got = 0
            for _ in range(settings.probes):
                total[0] += 1
                ok = rng.random() >= 0.10
                lost[0] += not ok
                got += ok
            out.append(ProbeResult(sent=settings.probes, received=got, rtts_ms=[1.0] * got))
        return out

    async def replies(targets, settings):
        return replies_for(targets, settings)

    monkeypatch.setattr(link_agent, "probe_all", replies)
    config = day_config(tmp_path, 200)
    layered = kinds.get("link").layered(config, load_registry()["polman-15"], 1)
    memory: dict = {}
    down = soft = failing_intents = 0
    for m in range(24 * 60):
        now = DAY_START + timedelta(minutes=m)
        ctx = RunContext(config, layered.settings(), layered, now, tmp_path / "x.csv", memory=memory)
        outcome = asyncio.run(link_agent.run(ctx))
        memory = outcome.states
        down += sum(1 for f in outcome.findings if f.code == "link_down")
        soft += sum(1 for f in outcome.findings if f.code == "link_failing")
        failing_intents += sum(1 for i in outcome.cases if i.failing)
    assert 0.09 < lost[0] / total[0] < 0.11  # the loss really was there
    assert soft > 0  # some checks lost all 3 probes: a soft failure, not yet DOWN
    assert (down, failing_intents) == (0, 0)


def test_a_link_flapping_every_three_minutes_gives_at_most_four_notifications(tmp_path, monkeypatch):
    # down for 3 minutes, up for 3 minutes, all day
    down_runs, sent, cases = simulate_day(
        tmp_path, monkeypatch, 1, lambda i, minute, p: (minute // 3) % 2 == 1
    )
    assert down_runs > 100  # it really went down, many times
    assert cases == 1  # one fault, one case all day
    kinds = [n.kind for n in sent]
    assert 1 <= len(sent) <= 4, kinds
    assert kinds[0] == "opened"
