"""DNS drift, certificates, cases and SLA, SOP steps: read from step runs, findings and cases."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import case as when
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from sop_registry.ledger import records
from sop_registry.ledger.models import Case, Finding, StepRun

from .model import (
    CaseRow,
    CaseSection,
    CertRow,
    CertSection,
    DnsSection,
    DriftRow,
    MissedRun,
    SlaRow,
    StepRow,
    StepSection,
)
from .web import DONE


def _runs_with_findings(session: Session, agent: str, start: datetime, end: datetime) -> list[StepRun]:
    return list(
        session.scalars(
            select(StepRun)
            .options(selectinload(StepRun.findings))
            .where(
                StepRun.agent == agent,
                StepRun.status.in_(DONE),
                StepRun.measured_by_run_id.is_(None),
                StepRun.started_at >= start,
                StepRun.started_at < end,
            )
            .order_by(StepRun.started_at, StepRun.id)
        )
    )


def dns_section(session: Session, start: datetime, end: datetime) -> DnsSection:
    """Drift between the DNS and the IP-allocation list: each (record, problem) seen in the period,
    and whether a later DNS run no longer saw it (fixed)."""
    runs = _runs_with_findings(session, records.DNS_IP, start, end)
    section = DnsSection(runs=len(runs), last_run_at=runs[-1].started_at if runs else None)
    seen: dict[tuple[str, str], DriftRow] = {}
    for run in runs:
        present = set()
        for f in run.findings:
            if f.status == "ok" or not f.code.startswith("dns_"):
                continue
            key = (f.target, f.code)
            present.add(key)
            row = seen.get(key)
            if row is None:
                opd = records.DnsFindingDetails.from_json(f.details).opd if f.details else None
                seen[key] = DriftRow(
                    f.target, opd, f.code, f.status, f.message_id, f.message_en, run.started_at,
                    run.started_at, None,
                )  # fmt: skip
            else:
                row.last_seen, row.fixed_at, row.status = run.started_at, None, f.status
        for key, row in seen.items():
            if key not in present and row.fixed_at is None and row.last_seen < run.started_at:
                row.fixed_at = run.started_at
    section.rows = sorted(seen.values(), key=lambda r: (r.fixed_at is not None, r.target, r.code))
    return section


def cert_section(session: Session, start: datetime, end: datetime) -> CertSection:
    """The period's newest certificate check: the certificates expiring or otherwise not right."""
    last = session.scalars(
        select(StepRun)
        .where(
            StepRun.agent == records.TLS_CERT,
            StepRun.status.in_(DONE),
            StepRun.measured_by_run_id.is_(None),
            StepRun.started_at >= start,
            StepRun.started_at < end,
        )
        .order_by(StepRun.started_at.desc(), StepRun.id.desc())
        .limit(1)
    ).first()
    section = CertSection()
    if last is None:
        return section
    query = select(Finding).where(Finding.step_run_id == last.id).order_by(Finding.id)
    findings = list(session.scalars(query))
    section.checked_at = last.started_at
    section.endpoints = len({f.target for f in findings})
    for f in findings:
        if f.status == "ok" and f.code != "cert_expiring":
            continue
        details = records.CertFindingDetails.from_json(f.details)
        section.rows.append(
            CertRow(
                f.target, details.opd, f.code, f.status, details.days_left, details.not_after, f.message_id,
                f.message_en,
            )
        )  # fmt: skip
    section.rows.sort(key=lambda r: (r.days_left if r.days_left is not None else 10**6, r.target))
    return section


def case_section(session: Session, start: datetime, end: datetime, now: datetime) -> CaseSection:
    """Cases opened, worked or closed in the period, and each SOP step's deadlines met or missed."""
    cut = min(end, now)
    cases = list(
        session.scalars(
            select(Case)
            .options(selectinload(Case.deadlines))
            .where(Case.opened_at < cut)
            .where((Case.closed_at.is_(None)) | (Case.closed_at >= start))
            .order_by(Case.opened_at, Case.id)
        )
    )
    section = CaseSection()
    sla: dict[tuple[str, int], SlaRow] = {}
    for case in cases:
        finished = case.resolved_at or case.closed_at
        if finished is not None and finished < start:
            continue  # resolved before the period, only closed (made final) during it: nothing happened
        wait = float(case.provider_wait_s or 0)
        if case.paused_at is not None and case.paused_at < cut:
            wait += (cut - case.paused_at).total_seconds()  # still waiting at the end of the period
        breached_steps = []
        still_open = finished is None or finished >= cut
        overdue: list[datetime] = []
        for d in case.deadlines:
            if d.due_at is None:
                continue  # a step without a time standard is not judged
            in_period = start <= d.due_at < end or (d.done_at is not None and start <= d.done_at < end)
            # Missed: due before the cut, and breached or done (or still not done) after the due time.
            missed = d.due_at < cut and (d.breached_at is not None or (d.done_at or cut) > d.due_at)
            if missed:
                breached_steps.append(d.step_no)
                if still_open and (d.done_at is None or d.done_at >= cut):
                    overdue.append(d.due_at)
            if not in_period:
                continue
            row = sla.setdefault((case.sop_id, d.step_no), SlaRow(case.sop_id, d.step_no, d.role))
            if d.done_at is not None and d.done_at <= d.due_at and d.breached_at is None:
                row.on_time += 1
            elif missed:
                row.breached += 1
            else:
                row.pending += 1
        section.rows.append(
            CaseRow(
                case.id, case.sop_id, case.step_no, case.target, case.title, case.state, case.opened_at,
                case.resolved_at, case.closed_at, wait, (case.details or {}).get("provider"), breached_steps,
                min(overdue) if overdue else None,
            )
        )  # fmt: skip
        section.opened += start <= case.opened_at < end
        section.closed += finished is not None and start <= finished < end
        section.open_at_end += still_open
        section.provider_wait_s += wait
    section.sla = sorted(sla.values(), key=lambda r: (r.sop_id, r.step_no))
    return section


def _count(condition) -> object:
    return func.sum(when((condition, 1), else_=0))


def step_section(session: Session, start: datetime, end: datetime) -> StepSection:
    """Which SOP steps ran in the period: counted per step and agent by the database (a link checked
    every minute is 10,080 runs a week), the skipped and failed runs listed."""
    query = (
        select(
            StepRun.sop_id,
            StepRun.step_no,
            StepRun.agent,
            func.count(),
            _count(StepRun.status.in_(DONE)),
            _count(StepRun.status == "skipped"),
            _count(StepRun.status == "error"),
            _count(StepRun.trigger == "catch_up"),
            _count(StepRun.within_time_standard.is_(False)),
            func.max(StepRun.started_at),
        )
        .where(StepRun.started_at >= start, StepRun.started_at < end)
        .group_by(StepRun.sop_id, StepRun.step_no, StepRun.agent)
    )
    section = StepSection()
    for sop_id, step_no, agent, runs, done, skipped, errors, catch_up, late, last in session.execute(query):
        section.rows.append(
            StepRow(sop_id, step_no, agent, int(runs), int(done or 0), int(skipped or 0), int(errors or 0),
                    int(catch_up or 0), int(late or 0), last)
        )  # fmt: skip
    section.rows.sort(key=lambda r: (r.sop_id, r.step_no, r.agent or ""))
    missed = session.execute(
        select(StepRun.sop_id, StepRun.step_no, StepRun.agent, StepRun.status, StepRun.due_at,
               StepRun.started_at, StepRun.reason)
        .where(StepRun.started_at >= start, StepRun.started_at < end,
               StepRun.status.in_(("skipped", "error")))
        .order_by(StepRun.started_at, StepRun.id)
    )  # fmt: skip
    section.missed = [MissedRun(*row) for row in missed]
    return section
