"""Cases, the SLA clock and the outbox with time passed in: no sleeping, a real ledger."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from agents.config import Config
from agents.notify.outbox import Alert, enqueue, roles_for
from agents.notify.worker import DeliveryError, deliver_due
from agents.sla import sweep
from sop_registry.ledger import Case, CaseEvent, MaintenanceWindow, Notification, connect, upgrade
from sop_registry.ledger import cases as ce
from sop_registry.ledger.transitions import OPEN_STATES, STATES, TRANSITIONS, InvalidTransition, next_state
from sop_registry.loader import load_registry

WITA = ZoneInfo("Asia/Makassar")
MON_0800 = datetime(2026, 11, 23, 8, 0, tzinfo=WITA)


def wita(*args) -> datetime:
    return datetime(*args, tzinfo=WITA)


def make_config(**extra) -> Config:
    data = {
        "office": {"name": "Diskominfo Uji", "timezone": "Asia/Makassar"},
        "database": {"url": "sqlite:///unused.db"},
        "notify": {
            "channels": [
                {"id": "tele", "url": "json://127.0.0.1:9/t", "roles": ["Teknisi Jaringan"]},
                {"id": "mail", "url": "json://127.0.0.1:9/m", "roles": ["*"]},
            ]
        },
    }
    for key, value in extra.items():
        data[key] = {**data.get(key, {}), **value}
    return Config.model_validate(data)


@pytest.fixture(scope="module")
def registry():
    return load_registry()


@pytest.fixture
def engine(tmp_path):
    engine = connect(f"sqlite:///{tmp_path / 'ledger.db'}")
    upgrade(engine)
    yield engine
    engine.dispose()


def fail(session, registry, config, target, at, *, sop="polman-15", step=1, source="link"):
    change = ce.open_or_update(
        session,
        registry[sop],
        step,
        target,
        title=f"Gangguan jaringan {target}",
        at=at,
        role="Teknisi Jaringan",
        policy=config.case_policy(),
        source=source,
        data={
            "finding": {"message_id": f"{target} putus: 3 pemeriksaan gagal (batas 3)", "message_en": "down"}
        },
    )
    return change


def good(session, config, target, at, *, source="link", sop="polman-15", step=1):
    return ce.record_good(
        session, sop, step, target, at=at, note="pulih", policy=config.case_policy(), source=source
    )


# --- the transition table -------------------------------------------------------------------------


def test_transition_table_moves_and_refusals():
    assert next_state(None, "opened") == "open"
    assert next_state("open", "acknowledged") == "acknowledged"
    assert next_state("acknowledged", "provider_engaged") == "waiting_provider"
    assert next_state("waiting_provider", "provider_returned") == "acknowledged"
    assert next_state("waiting_provider", "step_done") == "acknowledged"
    assert next_state("escalated", "acknowledged") == "acknowledged"
    assert next_state("resolved", "reopened") == "open"
    for state in OPEN_STATES:
        assert next_state(state, "resolved") == "resolved"
        assert next_state(state, "failed_again") == state
        assert next_state(state, "breached") == state
    for state, event in [
        ("acknowledged", "acknowledged"),
        ("closed", "reopened"),
        ("closed", "resolved"),
        ("resolved", "acknowledged"),
        ("open", "provider_returned"),
        ("open", "reopened"),
        ("open", "opened"),
    ]:
        with pytest.raises(InvalidTransition):
            next_state(state, event)
    with pytest.raises(InvalidTransition, match="unknown"):
        next_state("open", "teleported")
    # every target state is a known state
    assert {to for moves in TRANSITIONS.values() for to in moves.values()} <= set(STATES)


# --- agent cases: deadlines, sources, recovery, reopening -----------------------------------------------


def test_agent_case_waits_on_the_next_step_with_deadlines_on_the_calendar(engine, registry):
    config = make_config()
    friday = wita(2026, 11, 20, 15, 50)
    with Session(engine) as s:
        case = fail(s, registry, config, "opd-dinkes", friday).case
        s.commit()
        # Step 1 (the complaint) is the agent's run; step 2 (10 menit, Kepala Bidang TIP) is due with
        # the office's clock: Friday 15:50 + 10 min = 16:00. Later steps are planned one after another.
        assert (case.current_step_no, case.assignee_role, case.state) == (2, "Kepala Bidang TIP", "open")
        deadlines = {d.step_no: d for d in case.deadlines}
        assert deadlines[1].done_at == friday
        assert deadlines[2].due_at.astimezone(WITA) == wita(2026, 11, 20, 16, 0)
        # step 3 (60 menit) from 16:00 Friday: 30 minutes Friday, 30 Monday -> Monday 08:30
        assert deadlines[3].due_at.astimezone(WITA) == wita(2026, 11, 23, 8, 30)
        assert roles_for(case) == ("Kepala Bidang TIP", "Teknisi Jaringan")
        again = fail(s, registry, config, "opd-dinkes", friday + timedelta(minutes=1))
        assert again.kind == "failed_again" and again.case.id == case.id
        assert [e.kind for e in case.events] == ["opened", "failed_again"]


def test_recovery_needs_m_good_checks_from_every_failing_source(engine, registry):
    config = make_config(cases={"resolve_after_good": 2})
    t = MON_0800
    with Session(engine) as s:
        fail(s, registry, config, "opd-dinkes", t, source="link")
        fail(s, registry, config, "opd-dinkes", t, source="snmp_bandwidth")
        assert good(s, config, "opd-dinkes", t + timedelta(minutes=1)).kind == "recovering"
        # the link has its 2 good checks: recovered, but the SNMP agent still sees the port down
        assert good(s, config, "opd-dinkes", t + timedelta(minutes=2)).kind == "recovering"
        assert good(s, config, "opd-dinkes", t + timedelta(minutes=2)) is None  # counted already
        assert s.scalar(select(Case).where(Case.target == "opd-dinkes")).state == "open"
        assert good(s, config, "opd-other", t) is None  # no case: nothing
        # a source that never reported a failure cannot resolve it
        assert good(s, config, "opd-dinkes", t, source="dns_ip") is None
        assert (
            good(s, config, "opd-dinkes", t + timedelta(minutes=3), source="snmp_bandwidth").kind
            == "recovering"
        )
        done = good(s, config, "opd-dinkes", t + timedelta(minutes=4), source="snmp_bandwidth")
        assert done.kind == "resolved" and done.case.state == "resolved"
        assert done.case.resolved_at == t + timedelta(minutes=4)
        s.commit()


def test_failure_soon_after_resolution_reopens_later_opens_a_new_case(engine, registry):
    config = make_config(cases={"reopen_within_minutes": 30})
    t = MON_0800
    with Session(engine) as s:
        first = fail(s, registry, config, "opd-dinkes", t).case
        good(s, config, "opd-dinkes", t + timedelta(minutes=5))
        again = fail(s, registry, config, "opd-dinkes", t + timedelta(minutes=20))
        assert again.kind == "reopened" and again.case.id == first.id and first.state == "open"
        assert first.resolved_at is None
        good(s, config, "opd-dinkes", t + timedelta(minutes=25))
        later = fail(s, registry, config, "opd-dinkes", t + timedelta(minutes=90))
        assert later.kind == "opened" and later.case.id != first.id
        s.commit()
        kinds = [e.kind for e in s.get(Case, first.id).events]
        assert kinds == ["opened", "resolved", "reopened", "resolved"]


def test_manual_procedure_moves_step_by_step_and_completes(engine, registry):
    config = make_config()
    sop = registry["kaltara-pse"]
    t = MON_0800
    with Session(engine) as s:
        case = ce.open_manual(
            s,
            sop,
            title="Pendaftaran PSE aplikasi SIMPEG",
            target="simpeg",
            at=t,
            by="Rina",
            policy=config.case_policy(),
        ).case
        assert case.current_step_no == 1 and case.assignee_role == ce.step_role(sop, 1)
        assert len(case.deadlines) == len(sop.steps)
        ce.step_done(
            s, case, sop, at=t + timedelta(minutes=5), by="Rina", policy=config.case_policy(), note="ok"
        )
        assert (case.current_step_no, case.state, case.acknowledged_by) == (2, "acknowledged", "Rina")
        first = next(d for d in case.deadlines if d.step_no == 1)
        assert first.done_at == t + timedelta(minutes=5)
        last = sop.steps[-1].no
        ce.step_done(
            s, case, sop, at=t + timedelta(minutes=6), by="Rina", policy=config.case_policy(), to_step=last
        )
        assert case.current_step_no == last
        ce.step_done(s, case, sop, at=t + timedelta(minutes=7), by="Rina", policy=config.case_policy())
        assert case.state == "resolved"
        s.commit()
        events = s.scalars(
            select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.seq)
        ).all()
        assert [e.kind for e in events] == ["opened", "step_done", "step_done", "resolved"]
        assert events[1].data["output"] == sop.step(1).output


def test_provider_wait_pauses_the_clock_and_is_summed(engine, registry):
    config = make_config()
    sop = registry["polman-15"]
    with Session(engine) as s:
        case = fail(s, registry, config, "opd-dinkes", wita(2026, 11, 20, 14, 0)).case
        ce.step_done(
            s, case, sop, at=wita(2026, 11, 20, 14, 5), by="Kabid", policy=config.case_policy(), to_step=4
        )
        # step 4 (60 menit) due 15:05; the provider is told at 14:35 with 30 minutes left
        due = next(d for d in case.deadlines if d.step_no == 4)
        assert due.due_at.astimezone(WITA) == wita(2026, 11, 20, 15, 5)
        ce.engage_provider(
            s, case, at=wita(2026, 11, 20, 14, 35), by="Andi", provider="Telkom", ticket="IN-123"
        )
        assert case.state == "waiting_provider" and case.details["provider"]["ticket"] == "IN-123"
        s.commit()
        # the SLA sweep leaves a paused case alone even after its deadline (15:05)
        assert sweep(engine, config, registry, lambda: wita(2026, 11, 20, 16, 0)).breached == 0
        case = s.get(Case, case.id)
        due = next(d for d in case.deadlines if d.step_no == 4)
        assert due.breached_at is None
        ce.provider_returned(
            s, case, sop, at=wita(2026, 11, 23, 9, 0), by="Andi", policy=config.case_policy()
        )
        assert case.state == "acknowledged"
        assert case.provider_wait_s == int(
            (wita(2026, 11, 23, 9, 0) - wita(2026, 11, 20, 14, 35)).total_seconds()
        )
        assert due.due_at.astimezone(WITA) == wita(2026, 11, 23, 9, 30)  # the 30 minutes that were left
        s.commit()


# --- the SLA sweep ----------------------------------------------------------------------------------------


def _notes(engine):
    with Session(engine) as s:
        return s.scalars(select(Notification).order_by(Notification.id)).all()


def test_breach_is_one_event_then_escalation_then_auto_close(engine, registry):
    config = make_config(cases={"escalation": [{"after_breach_minutes": 30, "roles": ["Kepala Dinas"]}]})
    t = MON_0800
    with Session(engine) as s:
        case_id = fail(s, registry, config, "opd-dinkes", t).case.id
        s.commit()
    assert sweep(engine, config, registry, lambda: t + timedelta(minutes=9)).breached == 0
    first = sweep(engine, config, registry, lambda: t + timedelta(minutes=10))
    second = sweep(engine, config, registry, lambda: t + timedelta(minutes=11))
    assert (first.breached, second.breached) == (1, 0)
    assert sweep(engine, config, registry, lambda: t + timedelta(minutes=39)).escalated == 0
    esc = sweep(engine, config, registry, lambda: t + timedelta(minutes=40))
    assert esc.escalated == 1
    assert sweep(engine, config, registry, lambda: t + timedelta(minutes=90)).escalated == 0
    with Session(engine) as s:
        case = s.get(Case, case_id)
        assert case.state == "escalated" and case.escalation_level == 1
        assert [e.kind for e in case.events].count("breached") == 1
    notes = [n for n in _notes(engine) if n.kind in ("breached", "escalated")]
    assert [(n.kind, n.role) for n in notes] == [
        ("breached", "Kepala Bidang TIP"),  # the mail channel ("*")
        ("breached", "Teknisi Jaringan"),  # the technicians' own channel
        ("escalated", "Kepala Dinas"),
    ]
    text = notes[0].message["id"]
    assert "LEWAT BATAS WAKTU" in text["title"]
    assert "batas Senin, 23 Nov 2026 08.10 WITA terlewati (10 menit)" in text["body"]
    assert "polman-15" in text["body"] and "langkah 2" in text["body"] and "sigap case ack" in text["body"]
    assert "Deadline passed" not in text["body"] and "DEADLINE PASSED" in notes[0].message["en"]["title"]
    with Session(engine) as s:
        ce.resolve(s, s.get(Case, case_id), at=t + timedelta(hours=2), by="Andi", note="kabel diganti")
        s.commit()
    assert sweep(engine, config, registry, lambda: t + timedelta(days=6)).closed == 0
    assert sweep(engine, config, registry, lambda: t + timedelta(days=7, hours=2)).closed == 1
    with Session(engine) as s:
        assert s.get(Case, case_id).state == "closed"


def test_reminders_while_unacknowledged_are_capped_and_stop_on_ack(engine, registry):
    config = make_config(cases={"remind_every_minutes": 60, "max_reminders": 2})
    sop = registry["kaltim-pemantik"]
    t = MON_0800
    with Session(engine) as s:
        case = ce.open_manual(
            s, sop, title="PeManTIK", target="berau", at=t, by="Rina", policy=config.case_policy()
        ).case
        case.last_notified_at = t
        s.commit()
        case_id = case.id
    reminded = [
        sweep(engine, config, registry, lambda m=m: t + timedelta(minutes=m)).reminded
        for m in (30, 60, 90, 120, 180, 240)
    ]
    assert reminded == [0, 1, 0, 1, 0, 0]
    with Session(engine) as s:
        ce.acknowledge(s, s.get(Case, case_id), at=t + timedelta(hours=5), by="Rina")
        s.get(Case, case_id).reminders_sent = 0
        s.commit()
    assert sweep(engine, config, registry, lambda: t + timedelta(hours=9)).reminded == 0


# --- grouping, maintenance, held recoveries -------------------------------------------------------------


def test_fifty_links_down_in_one_run_give_one_message_per_recipient(engine, registry):
    config = make_config()
    with Session(engine) as s:
        alerts = []
        for i in range(50):
            change = fail(s, registry, config, f"opd-{i:02d}", MON_0800)
            alerts.append(Alert(change.kind, change.case, roles_for(change.case)))
        notes = enqueue(s, alerts, MON_0800, config, registry)
        s.commit()
        # Kepala Bidang TIP (mail, via "*") and Teknisi Jaringan (tele, then mail as its fallback)
        assert sorted((n.role, tuple(n.channels)) for n in notes) == [
            ("Kepala Bidang TIP", ("mail",)),
            ("Teknisi Jaringan", ("tele", "mail")),
        ]
        body = notes[0].message["id"]["body"]
        assert "50 kasus" in notes[0].message["id"]["title"]
        assert body.count("putus: 3 pemeriksaan gagal") == 15 and "... dan 35 lainnya" in body


def test_maintenance_windows_suppress_notifications_not_cases(engine, registry):
    config = make_config()
    sunday_2330 = wita(2026, 11, 22, 23, 30)
    monday_0030 = wita(2026, 11, 23, 0, 30)
    with Session(engine) as s:
        s.add(
            MaintenanceWindow(
                target="opd-*", days=["sun"], start_time="22:00", duration_minutes=240, created_at=sunday_2330
            )
        )
        s.add(
            MaintenanceWindow(
                target="core",
                sop_id="polman-15",
                starts_at=wita(2026, 11, 24, 1, 0),
                ends_at=wita(2026, 11, 24, 3, 0),
                created_at=sunday_2330,
            )
        )
        s.commit()
        statuses = []
        for target, at in [
            ("opd-a", sunday_2330),
            ("opd-b", monday_0030),
            ("opd-c", wita(2026, 11, 23, 2, 30)),
            ("core", wita(2026, 11, 24, 2, 0)),
            ("core2", wita(2026, 11, 24, 2, 0)),
        ]:
            change = fail(s, registry, config, target, at)
            notes = enqueue(s, [Alert("opened", change.case, ("Teknisi Jaringan",))], at, config, registry)
            statuses.append((target, notes[0].status))
        s.commit()
        # Sunday 22:00 + 4 h covers Sunday 23:30 and Monday 00:30, not Monday 02:30
        assert statuses == [
            ("opd-a", "suppressed"),
            ("opd-b", "suppressed"),
            ("opd-c", "pending"),
            ("core", "suppressed"),
            ("core2", "pending"),
        ]
        assert s.scalar(select(Case).where(Case.target == "opd-a")).state == "open"  # measured, recorded


def test_recovery_is_held_and_a_quick_failure_cancels_it(engine, registry):
    config = make_config(cases={"reopen_within_minutes": 60}, notify={"resolve_hold_minutes": 10})
    t = MON_0800
    with Session(engine) as s:
        c = fail(s, registry, config, "opd-a", t)
        enqueue(s, [Alert(c.kind, c.case, ("Teknisi Jaringan",))], t, config, registry)
        r = good(s, config, "opd-a", t + timedelta(minutes=3))
        held = enqueue(
            s, [Alert("resolved", r.case, ("Teknisi Jaringan",))], t + timedelta(minutes=3), config, registry
        )
        assert held[0].not_before == t + timedelta(minutes=13)
        again = fail(s, registry, config, "opd-a", t + timedelta(minutes=6))
        assert again.kind == "reopened"
        assert (
            enqueue(
                s,
                [Alert("reopened", again.case, ("Teknisi Jaringan",))],
                t + timedelta(minutes=6),
                config,
                registry,
            )
            == []
        )
        assert held[0].status == "cancelled"
        s.commit()


# --- delivery: retries, fallback, exactly once ----------------------------------------------------------


class FakeChannels:
    """The edge only: which channel is down at which time; the worker's logic is the real one."""

    def __init__(self, down_until: dict[str, datetime], clock):
        self.down_until, self.clock, self.delivered = down_until, clock, []

    async def __call__(self, channel, title, body):
        if self.clock() < self.down_until.get(channel.id, datetime.min.replace(tzinfo=UTC)):
            raise DeliveryError(f"channel {channel.id}: 502 Bad Gateway")
        self.delivered.append((channel.id, title))


def test_retry_backoff_then_fallback_channel_and_never_twice(engine, registry):
    config = make_config(notify={"retry": {"attempts_per_channel": 3, "backoff_s": 30, "max_backoff_s": 600}})
    now = [MON_0800]
    with Session(engine) as s:
        c = fail(s, registry, config, "opd-a", MON_0800)
        enqueue(s, [Alert("opened", c.case, ("Teknisi Jaringan",))], MON_0800, config, registry)
        s.commit()
    channels = FakeChannels({"tele": MON_0800 + timedelta(days=1)}, lambda: now[0])
    times = []
    for minute in range(0, 10):
        now[0] = MON_0800 + timedelta(minutes=minute)
        sent = failed = 0
        while True:  # drain what is due, as the notifier does
            stats = asyncio.run(deliver_due(engine, config, channels, lambda: now[0]))
            if not stats.sent + stats.failed:
                break
            sent, failed = sent + stats.sent, failed + stats.failed
        if sent or failed:
            times.append((minute, sent, failed))
    # tele fails at 0, 0:30 (first backoff 30 s -> minute 1), 1:30 (60 s -> minute 2); then mail at once
    assert times == [(0, 0, 1), (1, 0, 1), (2, 1, 1)]
    assert channels.delivered == [("mail", "[Sigap] GANGGUAN: Gangguan jaringan opd-a")]
    with Session(engine) as s:
        note = s.scalars(select(Notification)).one()
        assert (note.status, note.sent_via, note.attempts) == ("sent", "mail", 3)
        assert [(a.channel_id, a.ok) for a in note.attempts_log] == [
            ("tele", False),
            ("tele", False),
            ("tele", False),
            ("mail", True),
        ]
        assert "502" in note.attempts_log[0].error


def test_a_message_nobody_can_take_gives_up_after_the_limit(engine, registry):
    config = make_config(notify={"retry": {"give_up_after_hours": 1, "max_backoff_s": 60}})
    now = [MON_0800]
    with Session(engine) as s:
        c = fail(s, registry, config, "opd-a", MON_0800)
        enqueue(s, [Alert("opened", c.case, ("Teknisi Jaringan",))], MON_0800, config, registry)
        s.commit()
    channels = FakeChannels(
        {"tele": MON_0800 + timedelta(days=1), "mail": MON_0800 + timedelta(days=1)}, lambda: now[0]
    )
    dead = 0
    for minute in range(0, 70):
        now[0] = MON_0800 + timedelta(minutes=minute)
        dead += asyncio.run(deliver_due(engine, config, channels, lambda: now[0])).dead
    assert dead == 1 and channels.delivered == []
    assert _notes(engine)[0].status == "dead"
