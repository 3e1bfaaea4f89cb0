"""Runs the scheduler did not start are on record: APScheduler's own event objects, the real listener."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from apscheduler.events import (
    EVENT_JOB_MAX_INSTANCES,
    EVENT_JOB_MISSED,
    JobExecutionEvent,
    JobSubmissionEvent,
)
from helpers.netservers import free_port
from sqlalchemy import select
from sqlalchemy.orm import Session

from agents.config import load_config
from agents.service.serve import Service
from sop_registry.ledger import StepRun, connect
from sop_registry.loader import load_registry


def test_an_overrun_and_a_late_run_are_skipped_rows(tmp_path):
    path = tmp_path / "sigap.yaml"
    path.write_text(
        "office: {name: Diskominfo Uji, timezone: Asia/Makassar}\n"
        f"database: {{url: 'sqlite:///{tmp_path / 'ledger.db'}'}}\nstate_dir: {tmp_path / 'state'}\n"
        "sops: [polman-15]\ntargets:\n  links:\n"
        f"    - {{id: opd-a, opd: Dinas A, host: 127.0.0.1, method: tcp, port: {free_port()},"
        " contracted_down_mbps: 10, contracted_up_mbps: 10}\n"
    )
    config = load_config(path)
    engine = connect(config.database_url())
    service = Service(config, load_registry(()), engine)
    [job] = service.prepare()
    due = datetime.now(UTC).replace(microsecond=0)
    # Still running from last time: the scheduler submits nothing and says so with the times it skipped.
    skipped_times = [due, due + timedelta(minutes=1)]
    service._on_missed(JobSubmissionEvent(EVENT_JOB_MAX_INSTANCES, job.id, "default", skipped_times))
    # Too late to start within the grace time.
    service._on_missed(JobExecutionEvent(EVENT_JOB_MISSED, job.id, "default", due + timedelta(minutes=2)))
    with Session(engine) as s:
        rows = s.scalars(select(StepRun).order_by(StepRun.id)).all()
    engine.dispose()
    assert [(r.status, r.reason.split(":")[0], r.due_at.replace(tzinfo=UTC)) for r in rows] == [
        ("skipped", "dilewati", due),
        ("skipped", "dilewati", due + timedelta(minutes=1)),
        ("skipped", "terlewat", due + timedelta(minutes=2)),
    ]
