"""What the console and the API read from the ledger, already scoped to the person asking.

Every function takes the viewer: an OPD admin's rows are filtered here, once, for the pages and the
API alike, and a single thing outside its OPDs is `NotFound`. A case's OPD comes from the config's
inventory (agents/notify/contacts.py), else from what the agent wrote when it opened the case.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import and_, select
from sqlalchemy.orm import Session, selectinload

from sop_registry.ledger import cases as engine_cases
from sop_registry.ledger.models import (
    OPEN_CASE_STATES,
    Case,
    CaseDeadline,
    Finding,
    Notification,
    StepRun,
)
from sop_registry.ledger.transitions import TRANSITIONS
from sop_registry.schema import Sop

from .permissions import CASE_ACTIONS
from .web import Console, NotFound, Viewer, list_query

# The case engine's event for each console action: the state machine decides which apply now.
EVENT_OF = {
    "ack": "acknowledged",
    "note": "noted",
    "hold": "provider_engaged",
    "resume": "provider_returned",
    "step_done": "step_done",
    "resolve": "resolved",
    "reopen": "reopened",
    "close": "closed",
}
assert set(EVENT_OF) == set(CASE_ACTIONS)
MAX_CASES = 500
MAX_FINDINGS = 500


def _step_facts(console: Console, sop_id: str, step_no: int) -> tuple[str, frozenset[str]]:
    """A step's activity and pelaksana names, kept per console (its registry is fixed): a list of
    300 cases asked the registry the same few steps 300 times."""
    key = (sop_id, step_no)
    found = console.step_facts.get(key)
    if found is None:
        sop = console.registry.sops.get(sop_id)
        activity = ""
        if sop is not None:
            try:
                activity = sop.step(step_no).activity
            except KeyError:
                activity = ""
        found = console.step_facts[key] = (activity, frozenset(_actor_names(sop, step_no)))
    return found


def _actor_names(sop: Sop | None, step_no: int) -> set[str]:
    """A step's pelaksana, each also split at "/" ("Kepala Bidang/ Teknisi"), case-folded."""
    if sop is None:
        return set()
    try:
        actors = sop.step(step_no).actors
    except KeyError:
        return set()
    names = {a.strip().casefold() for a in actors}
    return names | {part.strip().casefold() for a in actors for part in a.split("/") if part.strip()}


@dataclass
class CaseRow:
    id: int
    title: str
    sop: str
    step: int
    step_activity: str
    role: str | None
    state: str
    opd: str | None
    target: str
    opened_at: datetime
    updated_at: datetime
    due_at: datetime | None
    left_s: float | None  # negative: overdue
    breached: bool
    paused: bool
    mine: bool
    provider_wait_s: int
    source: str

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "sop": self.sop,
            "step": self.step,
            "step_activity": self.step_activity,
            "assignee_role": self.role,
            "state": self.state,
            "opd": self.opd,
            "target": self.target,
            "source": self.source,
            "opened_at": self.opened_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
            "due_at": self.due_at.isoformat() if self.due_at else None,
            "seconds_left": None if self.left_s is None else int(self.left_s),
            "breached": self.breached,
            "provider_wait_s": self.provider_wait_s,
        }


def case_opd(console: Console, case: Case) -> str | None:
    return console.directory.opd(case)


_NO_DEADLINE: Any = object()


def case_row(
    console: Console, viewer: Viewer, case: Any, now: datetime, deadline: Any = _NO_DEADLINE
) -> CaseRow:
    """One case as the list shows it. `case` is a Case, or a row with its columns (case_rows);
    `deadline` the current step's (due_at, done_at, breached_at), else read off case.deadlines."""
    if deadline is _NO_DEADLINE:
        deadline = engine_cases.current_deadline(case)
    due = deadline.due_at if deadline else None
    is_open = case.state in OPEN_CASE_STATES
    paused = case.state == "waiting_provider"
    breached = deadline is not None and (
        deadline.breached_at is not None or (is_open and engine_cases.overdue(deadline, now))
    )
    activity, actors = _step_facts(console, case.sop_id, case.current_step_no)
    mine = is_open and not viewer.acting.isdisjoint(actors)
    return CaseRow(
        id=case.id,
        title=case.title,
        sop=case.sop_id,
        step=case.current_step_no,
        step_activity=activity,
        role=case.assignee_role,
        state=case.state,
        opd=case_opd(console, case),
        target=case.target,
        opened_at=case.opened_at,
        updated_at=case.updated_at,
        due_at=due,
        left_s=(due - now).total_seconds() if due is not None and is_open else None,
        breached=breached,
        paused=paused,
        mine=mine,
        provider_wait_s=case.provider_wait_s or 0,
        source=case.source,
    )


@dataclass(frozen=True)
class CaseFilter:
    state: str = "open"  # open | all
    mine: bool = False
    opd: str | None = None
    sop: str | None = None

    def query(self, **changes: Any) -> str:
        """The list's query string with these filters (and `page`), for the pager's links."""
        values = {"state": self.state, "mine": "1" if self.mine else None, "opd": self.opd, "sop": self.sop}
        return list_query({**values, **changes})


class _Deadline(NamedTuple):
    due_at: datetime | None
    done_at: datetime | None
    breached_at: datetime | None


# What case_row and the directory (a case's OPD: its target and details) read of a case.
_LIST_COLUMNS = (
    Case.id,
    Case.title,
    Case.sop_id,
    Case.current_step_no,
    Case.assignee_role,
    Case.state,
    Case.target,
    Case.details,
    Case.opened_at,
    Case.updated_at,
    Case.provider_wait_s,
    Case.source,
)
_DEADLINE_COLUMNS = (
    CaseDeadline.id.isnot(None).label("has_deadline"),
    CaseDeadline.due_at,
    CaseDeadline.done_at,
    CaseDeadline.breached_at,
)


def case_rows(
    console: Console, db: Session, viewer: Viewer, filt: CaseFilter, now: datetime
) -> list[CaseRow]:
    """Open cases by SLA time left (the most overdue first, no deadline last), then the others newest
    first; an OPD admin's own OPDs only."""
    # Columns, not Case objects with all their deadlines: a list of 300 cases built 1,200 ORM
    # objects (each case's every step) where one joined row each will do (half the page's time).
    query = select(*_LIST_COLUMNS, *_DEADLINE_COLUMNS).outerjoin(
        CaseDeadline,
        and_(CaseDeadline.case_id == Case.id, CaseDeadline.step_no == Case.current_step_no),
    )
    if filt.state == "open":
        query = query.where(Case.state.in_(OPEN_CASE_STATES))
    if filt.sop:
        query = query.where(Case.sop_id == filt.sop)
    query = query.order_by(Case.updated_at.desc(), Case.id.desc()).limit(MAX_CASES * 4)
    rows = []
    for found in db.execute(query):
        deadline = _Deadline(found.due_at, found.done_at, found.breached_at) if found.has_deadline else None
        row = case_row(console, viewer, found, now, deadline)
        if not viewer.sees(row.opd) or (filt.opd and row.opd != filt.opd) or (filt.mine and not row.mine):
            continue
        rows.append(row)
    far = float("inf")
    rows.sort(
        key=lambda r: (
            r.state not in OPEN_CASE_STATES,
            r.left_s if r.left_s is not None else far,
            -r.updated_at.timestamp(),
        )
    )
    return rows[:MAX_CASES]


def visible_case(console: Console, db: Session, viewer: Viewer, case_id: int) -> Case:
    case = db.get(Case, case_id)
    if case is None or not viewer.sees(case_opd(console, case)):
        raise NotFound(case_id)
    return case


@dataclass
class StepLine:
    no: int
    activity: str
    role: str
    waktu: str | None
    due_at: datetime | None
    done_at: datetime | None
    state: str  # done | late | current | planned | passed
    late: bool


@dataclass
class CaseDetail:
    row: CaseRow
    case: Case
    steps: list[StepLine] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    notifications: list[dict[str, Any]] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)  # what this person may do now
    next_steps: list[tuple[int, str]] = field(default_factory=list)


def possible_actions(case: Case, viewer: Viewer) -> list[str]:
    return [a for a in CASE_ACTIONS if case.state in TRANSITIONS[EVENT_OF[a]] and viewer.can(a)]


def case_detail(console: Console, db: Session, viewer: Viewer, case_id: int, now: datetime) -> CaseDetail:
    case = visible_case(console, db, viewer, case_id)
    row = case_row(console, viewer, case, now)
    detail = CaseDetail(row, case, actions=possible_actions(case, viewer))
    sop = console.registry.sops.get(case.sop_id)
    deadlines = {d.step_no: d for d in case.deadlines}
    is_open = case.state in OPEN_CASE_STATES
    for step in sop.steps if sop else []:
        d = deadlines.get(step.no)
        due, done = (d.due_at, d.done_at) if d else (None, None)
        late = bool(d and (d.breached_at or (done and due and done > due)))
        if done is not None:
            state = "done"
        elif step.no == case.current_step_no and is_open:
            state = "current"
            late = late or bool(d and engine_cases.overdue(d, now))
        elif d is not None and step.no > case.current_step_no and is_open:
            state = "planned" if due is not None else "passed"
        elif d is None or step.no < case.step_no:
            state = "passed"
        else:
            state = "planned" if is_open else "passed"
        detail.steps.append(
            StepLine(step.no, step.activity, ", ".join(step.actors), step.waktu, due, done, state, late)
        )
        if step.no != case.current_step_no:
            detail.next_steps.append((step.no, step.activity))
    detail.events = [
        {
            "seq": e.seq,
            "at": e.at,
            "kind": e.kind,
            "actor": e.actor,
            "from": e.from_state,
            "to": e.to_state,
            "step": e.step_no,
            "note": e.note,
        }
        for e in case.events
    ]
    # The outbox rows since the case opened that name it (case_ids is a JSON list on both backends).
    notes = db.scalars(
        select(Notification)
        .options(selectinload(Notification.attempts_log))
        .where(Notification.created_at >= case.opened_at - timedelta(minutes=1))
        .order_by(Notification.id)
    )
    for n in notes:
        if case.id not in (n.case_ids or []):
            continue
        detail.notifications.append(
            {
                "id": n.id,
                "kind": n.kind,
                "role": n.role,
                "recipient": (n.recipient or {}).get("email") if n.recipient else None,
                "status": n.status,
                "attempts": n.attempts,
                "sent_via": n.sent_via,
                "sent_at": n.sent_at,
                "created_at": n.created_at,
                "last_error": n.last_error,
                "tries": [
                    {"at": a.at, "channel": a.channel_id, "ok": a.ok, "error": a.error}
                    for a in n.attempts_log
                ],
            }
        )
    return detail


# --- websites ----------------------------------------------------------------------------------------

BUCKETS = ("active", "less", "passive", "unmeasured")


def finding_opd(console: Console, finding: Finding) -> str | None:
    opd = (finding.details or {}).get("opd")
    if isinstance(opd, str) and opd:
        return opd
    party = console.directory.by_target.get(finding.target)
    return party.opd if party else None


def findings_since(
    console: Console, db: Session, viewer: Viewer, since: datetime, target: str | None = None
) -> list[tuple[Finding, StepRun]]:
    query = (
        select(Finding, StepRun)
        .join(StepRun, Finding.step_run_id == StepRun.id)
        .where(StepRun.started_at >= since)
        .order_by(StepRun.started_at.desc(), Finding.id.desc())
        .limit(MAX_FINDINGS * 4)
    )
    if target is not None:
        query = query.where(Finding.target == target)
    out = []
    for finding, run in db.execute(query):
        if viewer.sees(finding_opd(console, finding)):
            out.append((finding, run))
        if len(out) >= MAX_FINDINGS:
            break
    return out
