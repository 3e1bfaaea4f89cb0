"""The ledger on both backends: migrations, step runs with findings, case guards, append-only events."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, select, text, update
from sqlalchemy.exc import DBAPIError, IntegrityError, StatementError
from sqlalchemy.orm import Session

from sop_registry.ledger import Base, Case, CaseDeadline, CaseEvent, StepRun, connect, head_revision, upgrade
from sop_registry.ledger.db import _alembic_config
from sop_registry.ledger.store import (
    FindingRecord,
    begin_step_run,
    finish_step_run,
    last_step_run,
    record_skipped,
)
from sop_registry.loader import load_registry

WITA = timezone(timedelta(hours=8))
T0 = datetime(2026, 11, 16, 7, 0, tzinfo=WITA)  # Monday 07:00 WITA = Sunday 23:00 UTC


@pytest.fixture
def engine(db_url):
    engine = connect(db_url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def registry():
    return load_registry()


def test_migrations_create_exactly_the_models(engine):
    with engine.connect() as conn:
        assert MigrationContext.configure(conn).get_current_revision() == head_revision()
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
    tables = set(inspect(engine).get_table_names())
    assert {"step_runs", "findings", "cases", "case_deadlines", "case_events", "alembic_version"} <= tables


def test_upgrade_is_idempotent_and_downgrade_round_trips(engine):
    assert upgrade(engine) == (head_revision(), head_revision())
    command.downgrade(_alembic_config(engine), "base")
    assert "step_runs" not in inspect(engine).get_table_names()
    assert upgrade(engine) == (None, head_revision())


def test_sqlite_runs_in_wal_with_busy_timeout(tmp_path):
    engine = connect(f"sqlite:///{tmp_path}/sub/dir/ledger.db")  # parent directories are created
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 10000
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
    engine.dispose()


def test_step_run_with_findings_round_trips_in_utc(engine, registry):
    sop = registry["kaltim-monitoring-website"]
    with Session(engine, expire_on_commit=False) as session, session.begin():
        run = begin_step_run(session, sop, 2, started_at=T0, agent="web_freshness", target_group="websites")
        finish_step_run(
            session,
            run,
            finished_at=T0 + timedelta(minutes=95),
            findings=[
                FindingRecord(
                    "http://127.0.0.1:8081/",
                    "ok",
                    "content_fresh",
                    "berita terbaru 2 hari lalu",
                    observed={"value": 2, "unit": "day"},
                    limit={"value": 7, "unit": "day"},
                ),
                FindingRecord(
                    "http://127.0.0.1:8082/",
                    "crit",
                    "content_stale",
                    "berita terbaru 23 hari lalu (batas 7 hari)",
                    "latest news 23 days old (limit 7 days)",
                    observed={"value": 23, "unit": "day"},
                    limit={"value": 7, "unit": "day"},
                    evidence_url="http://127.0.0.1:8082/berita/1",
                ),
            ],
            output_kind="laporan_rekapitulasi",
            output_ref="reports/2026-W47.pdf",
        )
        run_id = run.id
    with Session(engine, expire_on_commit=False) as session:
        stored = session.get(StepRun, run_id)
        assert stored.sop_version == sop.version
        assert stored.status == "crit"  # the worst finding decides
        assert stored.started_at == T0 and stored.started_at.tzinfo == UTC
        assert stored.started_at.hour == 23  # stored as UTC, not as the WITA wall clock
        assert stored.time_standard_s == 120 * 60 and stored.within_time_standard is True
        assert [f.code for f in stored.findings] == ["content_fresh", "content_stale"]
        assert stored.findings[1].observed == {"value": 23, "unit": "day"}
        assert stored.findings[1].limit == {"value": 7, "unit": "day"}
        assert last_step_run(session, sop.id, 2).id == run_id


def test_overrunning_step_is_marked_and_skips_are_evidence(engine, registry):
    sop = registry["kaltim-monitoring-website"]
    with Session(engine, expire_on_commit=False) as session, session.begin():
        run = begin_step_run(session, sop, 2, started_at=T0)
        finish_step_run(session, run, finished_at=T0 + timedelta(minutes=121), findings=[])
        assert run.status == "ok" and run.within_time_standard is False
        skipped = record_skipped(
            session,
            sop,
            2,
            at=T0 + timedelta(days=7),
            due_at=T0 + timedelta(days=7),
            reason="server mati saat jadwal",
        )
    with Session(engine, expire_on_commit=False) as session:
        assert last_step_run(session, sop.id, 2).id == skipped.id
        assert last_step_run(session, sop.id, 2, statuses=["ok"]).id == run.id


def test_naive_datetimes_are_refused(engine, registry):
    with (
        Session(engine, expire_on_commit=False) as session,
        pytest.raises(StatementError, match="timezone-aware"),
    ):
        begin_step_run(session, registry["polman-15"], 1, started_at=datetime(2026, 11, 16, 7, 0))


def _case(target: str, state: str = "open", **kw) -> Case:
    return Case(
        sop_id="polman-15",
        step_no=3,
        target=target,
        sop_version="2019-10-20",
        title="Gangguan jaringan",
        state=state,
        current_step_no=3,
        assignee_role="Teknisi Jaringan",
        opened_at=T0,
        updated_at=T0,
        **kw,
    )


def test_one_open_case_per_sop_step_target(engine):
    with Session(engine, expire_on_commit=False) as session, session.begin():
        session.add(_case("opd-dinkes"))
    with Session(engine) as session, pytest.raises(IntegrityError), session.begin():
        session.add(_case("opd-dinkes", state="acknowledged"))
    with Session(engine, expire_on_commit=False) as session, session.begin():
        session.add(_case("opd-dishub"))  # another target is another case
        first = session.scalars(select(Case).where(Case.target == "opd-dinkes")).one()
        first.state, first.resolved_at = "resolved", T0 + timedelta(hours=1)
    with Session(engine, expire_on_commit=False) as session, session.begin():
        session.add(_case("opd-dinkes"))  # resolved no longer blocks a new failure
    with Session(engine, expire_on_commit=False) as session:
        assert session.scalar(select(text("count(*)")).select_from(Case)) == 3


def test_guarded_update_applies_once(engine):
    with Session(engine, expire_on_commit=False) as session, session.begin():
        case = _case("opd-dinkes")
        case.deadlines.append(
            CaseDeadline(
                step_no=3,
                role="Teknisi Jaringan",
                time_standard="60 Menit",
                due_at=T0 + timedelta(minutes=60),
            )
        )
        session.add(case)
    guard = (
        update(Case).where(Case.id == case.id, Case.revision == 0).values(state="acknowledged", revision=1)
    )
    with engine.begin() as conn:
        assert conn.execute(guard).rowcount == 1
    with engine.begin() as conn:
        assert conn.execute(guard).rowcount == 0  # a second worker with the stale revision changes nothing
    with Session(engine, expire_on_commit=False) as session:
        stored = session.get(Case, case.id)
        assert stored.state == "acknowledged" and stored.deadlines[0].due_at == T0 + timedelta(minutes=60)


def test_case_events_are_append_only(engine):
    with Session(engine, expire_on_commit=False) as session, session.begin():
        case = _case("opd-dinkes")
        session.add(case)
        session.flush()
        session.add(CaseEvent(case_id=case.id, seq=1, at=T0, kind="opened", to_state="open", step_no=3))
        session.add(
            CaseEvent(
                case_id=case.id,
                seq=2,
                at=T0,
                kind="acknowledged",
                actor="teknisi-1",
                from_state="open",
                to_state="acknowledged",
            )
        )
    # the same seq twice: a concurrent double append fails
    with Session(engine) as session, pytest.raises(IntegrityError), session.begin():
        session.add(CaseEvent(case_id=case.id, seq=2, at=T0, kind="escalated"))
    for statement in ("UPDATE case_events SET note = 'diubah' WHERE seq = 1", "DELETE FROM case_events"):
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(text(statement))
    with Session(engine, expire_on_commit=False) as session:
        assert [e.kind for e in session.get(Case, case.id).events] == ["opened", "acknowledged"]
