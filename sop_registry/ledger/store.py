"""Recording step runs: the one way agents write evidence into the ledger."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from checks.finding import worst

from ..schema import Sop
from .models import FINDING_STATUSES, Finding, StepRun


@dataclass(frozen=True)
class FindingRecord:
    target: str
    status: str
    code: str
    message_id: str
    message_en: str | None = None
    observed: dict[str, Any] | None = None
    limit: dict[str, Any] | None = None
    evidence_url: str | None = None
    details: dict[str, Any] | None = field(default=None)

    def __post_init__(self) -> None:
        if self.status not in FINDING_STATUSES:
            raise ValueError(f"finding status {self.status!r} not in {FINDING_STATUSES}")


def worst_status(statuses: Iterable[str]) -> str:
    """The run's status is its worst finding's, on the one ranking (checks.finding)."""
    return worst(statuses)


def begin_step_run(
    session: Session,
    sop: Sop,
    step_no: int,
    *,
    started_at: datetime,
    agent: str | None = None,
    target_group: str | None = None,
    probe: str | None = None,
    trigger: str = "scheduled",
    due_at: datetime | None = None,
) -> StepRun:
    step = sop.step(step_no)
    standard = step.time_standard
    fixed = standard.fixed_duration() if standard else None
    run = StepRun(
        sop_id=sop.id,
        step_no=step_no,
        sop_version=sop.version,
        agent=agent,
        target_group=target_group,
        probe=probe,
        trigger=trigger,
        status="running",
        started_at=started_at,
        due_at=due_at,
        time_standard_s=int(fixed.total_seconds()) if fixed else None,
    )
    session.add(run)
    session.flush()
    return run


def finish_step_run(
    session: Session,
    run: StepRun,
    *,
    finished_at: datetime,
    findings: Iterable[FindingRecord] = (),
    status: str | None = None,
    summary: str | None = None,
    reason: str | None = None,
    output_kind: str | None = None,
    output_ref: str | None = None,
    details: dict[str, Any] | None = None,
) -> StepRun:
    records = list(findings)
    if records:
        # One multi-row INSERT, not the ORM's unit of work per object: the link agent writes a finding
        # per link every minute, and 1,000 ORM objects a minute cost more than the probes.
        session.execute(
            insert(Finding),
            [
                {
                    "step_run_id": run.id,
                    "target": rec.target,
                    "status": rec.status,
                    "code": rec.code,
                    "message_id": rec.message_id,
                    "message_en": rec.message_en,
                    "limit": rec.limit,
                    "observed": rec.observed,
                    "evidence_url": rec.evidence_url,
                    "details": rec.details,
                }
                for rec in records
            ],
        )
        session.expire(run, ["findings"])
    run.status = status or worst_status(r.status for r in records)
    run.finished_at = finished_at
    if run.time_standard_s is not None:
        run.within_time_standard = (finished_at - run.started_at).total_seconds() <= run.time_standard_s
    run.summary = summary
    run.reason = reason
    run.output_kind = output_kind
    run.output_ref = output_ref
    run.details = details
    session.flush()
    return run


def record_skipped(
    session: Session, sop: Sop, step_no: int, *, at: datetime, due_at: datetime | None, reason: str, **kw: Any
) -> StepRun:
    """A run that was due and did not happen is evidence too: the report shows it."""
    run = begin_step_run(session, sop, step_no, started_at=at, due_at=due_at, **kw)
    return finish_step_run(session, run, finished_at=at, status="skipped", reason=reason)


def last_step_run(
    session: Session, sop_id: str, step_no: int, *, statuses: Iterable[str] | None = None
) -> StepRun | None:
    query = select(StepRun).where(StepRun.sop_id == sop_id, StepRun.step_no == step_no)
    if statuses is not None:
        query = query.where(StepRun.status.in_(list(statuses)))
    return session.scalars(query.order_by(StepRun.started_at.desc(), StepRun.id.desc()).limit(1)).first()
