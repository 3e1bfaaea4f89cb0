"""Opening and resolving cases from agents: the minimal interface the cases issue extends.

Every change appends an event first (seq unique per case, so a concurrent double append fails) and
then updates the case with a revision guard, so two workers never apply the same change twice.
The partial unique index keeps one open case per (sop, step, target): a new failure updates it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from ..schema import Sop
from .models import OPEN_CASE_STATES, Case, CaseEvent


class ConcurrentCaseUpdate(Exception):
    """Another worker changed the case first; the caller re-reads and decides again."""


@dataclass(frozen=True)
class CaseChange:
    case: Case
    kind: str  # opened | updated | resolved


def open_case(session: Session, sop_id: str, step_no: int, target: str) -> Case | None:
    return session.scalars(
        select(Case).where(
            Case.sop_id == sop_id,
            Case.step_no == step_no,
            Case.target == target,
            Case.state.in_(OPEN_CASE_STATES),
        )
    ).first()


def append_event(
    session: Session,
    case: Case,
    *,
    at: datetime,
    kind: str,
    to_state: str | None = None,
    actor: str | None = None,
    note: str | None = None,
    data: dict[str, Any] | None = None,
) -> CaseEvent:
    seq = (session.scalar(select(func.max(CaseEvent.seq)).where(CaseEvent.case_id == case.id)) or 0) + 1
    event = CaseEvent(
        case_id=case.id,
        seq=seq,
        at=at,
        kind=kind,
        actor=actor,
        from_state=case.state,
        to_state=to_state or case.state,
        step_no=case.current_step_no,
        note=note,
        data=data,
    )
    session.add(event)
    session.flush()
    return event


def _guarded_update(session: Session, case: Case, **values: Any) -> None:
    result = session.execute(
        update(Case)
        .where(Case.id == case.id, Case.revision == case.revision)
        .values(revision=case.revision + 1, **values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise ConcurrentCaseUpdate(f"case {case.id} changed under us (revision {case.revision})")
    session.refresh(case)


def open_or_update(
    session: Session,
    sop: Sop,
    step_no: int,
    target: str,
    *,
    title: str,
    at: datetime,
    role: str | None,
    data: dict[str, Any] | None = None,
) -> CaseChange:
    """A failed threshold: open a case, or record the repeat on the one already open."""
    case = open_case(session, sop.id, step_no, target)
    if case is not None:
        append_event(session, case, at=at, kind="failed_again", actor="agent", data=data)
        _guarded_update(session, case, updated_at=at, title=title)
        return CaseChange(case, "updated")
    case = Case(
        sop_id=sop.id,
        step_no=step_no,
        target=target,
        sop_version=sop.version,
        title=title,
        source="agent",
        state="open",
        current_step_no=step_no,
        assignee_role=role,
        opened_at=at,
        updated_at=at,
        revision=0,
        details=data,
    )
    session.add(case)
    session.flush()
    append_event(session, case, at=at, kind="opened", to_state="open", actor="agent", data=data)
    return CaseChange(case, "opened")


def resolve_if_open(
    session: Session,
    sop_id: str,
    step_no: int,
    target: str,
    *,
    at: datetime,
    note: str,
    data: dict[str, Any] | None = None,
) -> CaseChange | None:
    """A good check: resolve the open case, if there is one."""
    case = open_case(session, sop_id, step_no, target)
    if case is None:
        return None
    append_event(
        session, case, at=at, kind="resolved", to_state="resolved", actor="agent", note=note, data=data
    )
    _guarded_update(session, case, state="resolved", resolved_at=at, updated_at=at)
    return CaseChange(case, "resolved")
