"""DNS/IP and Sertifikat: the drift between the DNS and the IP-allocation list, and the certificates,
each with when it was first seen and when it was fixed, over a window of days.

The DNS rows are the weekly report's own (`reports.data.ledger.dns_section`, read-only), over the
window instead of a week: a problem counts as fixed at the first later run that no longer saw it.
The certificates are the window's newest check (`cert_section`), and the same first-seen/fixed
reading of every certificate check in the window for its problems (status not ok).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from reports.data.ledger import cert_section, dns_section
from sop_registry.ledger import records
from sop_registry.ledger.models import Finding, StepRun

from .web import Console, Viewer

WINDOWS = (7, 30, 90)
DEFAULT_DAYS = 30


def window(text: str | None) -> int:
    try:
        days = int(text or DEFAULT_DAYS)
    except ValueError:
        return DEFAULT_DAYS
    return days if days in WINDOWS else DEFAULT_DAYS


def dns_rows(console: Console, db: Session, viewer: Viewer, now: datetime, days: int) -> dict[str, Any]:
    section = dns_section(db, now - timedelta(days=days), now)
    rows = [r for r in section.rows if viewer.sees(r.opd)]
    return {"section": section, "rows": rows, "open": sum(1 for r in rows if r.fixed_at is None)}


@dataclass
class CertHistory:
    first_seen: datetime
    last_seen: datetime
    fixed_at: datetime | None
    code: str


def _cert_history(db: Session, start: datetime, end: datetime) -> dict[str, CertHistory]:
    """Per certificate (target), its latest problem: first seen, and fixed at the first later check
    that found it fine."""
    runs = db.execute(
        select(StepRun.id, StepRun.started_at)
        .where(
            StepRun.agent == records.TLS_CERT,
            StepRun.measured_by_run_id.is_(None),
            StepRun.started_at >= start,
            StepRun.started_at < end,
        )
        .order_by(StepRun.started_at)
    ).all()
    by_run: dict[int, list[tuple[str, str, str]]] = {}
    if runs:
        for run_id, target, status, code in db.execute(
            select(Finding.step_run_id, Finding.target, Finding.status, Finding.code).where(
                Finding.step_run_id.in_([r.id for r in runs])
            )
        ):
            by_run.setdefault(run_id, []).append((target, status, code))
    seen: dict[str, CertHistory] = {}
    for run_id, at in runs:
        bad = {t: c for t, s, c in by_run.get(run_id, []) if s != "ok"}
        checked = {t for t, _s, _c in by_run.get(run_id, [])}
        for target, code in bad.items():
            h = seen.get(target)
            if h is None or h.fixed_at is not None:
                seen[target] = CertHistory(at, at, None, code)
            else:
                h.last_seen, h.code = at, code
        for target, h in seen.items():
            if target in checked and target not in bad and h.fixed_at is None:
                h.fixed_at = at
    return seen


def cert_rows(console: Console, db: Session, viewer: Viewer, now: datetime, days: int) -> dict[str, Any]:
    start = now - timedelta(days=days)
    section = cert_section(db, start, now)
    history = _cert_history(db, start, now)
    rows = [(r, history.get(r.target)) for r in section.rows if viewer.sees(r.opd)]
    listed = {r.target for r, _h in rows}
    fixed = [
        (target, h)
        for target, h in sorted(history.items())
        if h.fixed_at is not None and target not in listed and viewer.sees(_cert_opd(db, target))
    ]
    rows.sort(key=lambda pair: pair[0].days_left if pair[0].days_left is not None else -(10**6))
    return {"section": section, "rows": rows, "fixed": fixed}


def _cert_opd(db: Session, target: str) -> str | None:
    details = db.scalars(
        select(Finding.details)
        .where(Finding.target == target, Finding.code.like("cert_%"))
        .order_by(Finding.id.desc())
        .limit(1)
    ).first()
    return records.CertFindingDetails.from_json(details).opd if details else None
