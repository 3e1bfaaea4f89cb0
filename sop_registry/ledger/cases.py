"""Cases as SOP procedure runs: open, move step by step, pause for the provider, resolve, reopen.

Every change looks its move up in the transition table, appends an event (seq unique per case, so a
concurrent double append fails) and then updates the case with a revision guard, so two workers
never apply the same change twice. The partial unique index keeps one open case per (sop, step,
target): a new failure updates it. Deadlines come from each step's time standard on the office's
working calendar; only the current step's deadline can be breached, the later ones are its plan.

Several agents may report on one case (a link probe and the SNMP port of the same OPD link both
feed Polewali Mandar 15): each is a source, and the case resolves only when every source that
reported a failure has had M good checks, so one cannot resolve what the other still sees.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from ..calendar import WorkingCalendar
from ..schema import Sop
from .models import OPEN_CASE_STATES, Case, CaseDeadline, CaseEvent
from .transitions import next_state


class ConcurrentCaseUpdate(Exception):
    """Another worker changed the case first; the caller re-reads and decides again."""


@dataclass(frozen=True)
class CasePolicy:
    """How cases behave in this office (from config.cases); the calendar comes from config.office."""

    calendar: WorkingCalendar
    round_the_clock: frozenset[str] = frozenset()  # SOP ids whose minutes run outside office hours
    resolve_after_good: int = 1
    reopen_within: timedelta = timedelta(hours=1)
    # Pelaksana of an SOP that are not the office's people (the public, an applicant): nobody Sigap
    # can assign or notify. Their steps are skipped for routing; the case goes to the next step.
    outside_roles: frozenset[str] = frozenset()

    def clock_24x7(self, sop_id: str) -> bool:
        return sop_id in self.round_the_clock

    def office_step(self, sop: Sop, step_no: int) -> bool:
        """Does someone of the office do this step? "Masyarakat/ Publik" alone: no."""
        outside = {r.casefold() for r in self.outside_roles}
        names = [part.strip().casefold() for actor in sop.step(step_no).actors for part in actor.split("/")]
        return not names or any(name and name not in outside for name in names)


@dataclass(frozen=True)
class CaseChange:
    case: Case
    kind: str  # opened | reopened | updated | recovering | resolved | acknowledged | step_done | ...
    data: dict[str, Any] | None = field(default=None, compare=False)


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


def transition(
    session: Session,
    case: Case,
    event: str,
    *,
    at: datetime,
    actor: str | None = None,
    note: str | None = None,
    data: dict[str, Any] | None = None,
    **values: Any,
) -> CaseChange:
    """Append the event, then apply it with the revision guard. Refuses moves the table lacks."""
    to_state = next_state(case.state, event)
    append_event(session, case, at=at, kind=event, to_state=to_state, actor=actor, note=note, data=data)
    _guarded_update(session, case, state=to_state, updated_at=at, **values)
    return CaseChange(case, event, data)


# --- deadlines -------------------------------------------------------------------------------------


def step_role(sop: Sop, step_no: int) -> str:
    return ", ".join(sop.step(step_no).actors)


def plan_deadlines(
    session: Session, case: Case, sop: Sop, from_step: int, start: datetime, policy: CasePolicy
) -> None:
    """Deadlines for `from_step` and every later step, each starting when the one before is due.

    A step without a time standard has no deadline; the next one starts from the same time.
    """
    existing = {d.step_no: d for d in case.deadlines}
    clock = start
    for step in sop.steps:
        if step.no < from_step:
            continue
        standard = step.time_standard
        due = (
            policy.calendar.due(clock, standard, round_the_clock=policy.clock_24x7(sop.id))
            if standard
            else None
        )
        row = existing.get(step.no)
        if row is None:
            row = CaseDeadline(step_no=step.no)
            case.deadlines.append(row)
        row.role, row.time_standard, row.due_at = step_role(sop, step.no), step.waktu, due
        row.done_at = row.breached_at = None
        clock = due or clock
    session.flush()


def current_deadline(case: Case) -> CaseDeadline | None:
    return next((d for d in case.deadlines if d.step_no == case.current_step_no), None)


def overdue(deadline: CaseDeadline, now: datetime) -> bool:
    """The step is not done and its deadline has passed (breached, whether or not the SLA sweep has
    recorded it yet)."""
    return deadline.due_at is not None and deadline.done_at is None and deadline.due_at <= now


def _next_step(sop: Sop, step_no: int, policy: CasePolicy | None = None) -> int | None:
    """The next step a person of the office does (steps of the public are passed over)."""
    later = [s.no for s in sop.steps if s.no > step_no]
    if policy is not None:
        later = [no for no in later if policy.office_step(sop, no)]
    return later[0] if later else None


def _pass_over(case: Case, after: int, until: int) -> None:
    """Steps between `after` and `until` that nobody of the office does carry no deadline."""
    for row in case.deadlines:
        if after < row.step_no < until:
            row.due_at = None


# --- agents' failures and recoveries ----------------------------------------------------------------


def _sources(case: Case) -> dict[str, dict[str, Any]]:
    return dict((case.details or {}).get("sources", {}))


def _with_sources(case: Case, sources: dict[str, dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {**(case.details or {}), **extra, "sources": sources}


def _new_case(
    session: Session,
    sop: Sop,
    step_no: int,
    target: str,
    *,
    title: str,
    source: str,
    current_step_no: int,
    assignee_role: str | None,
    at: datetime,
    details: dict[str, Any],
) -> Case:
    case = Case(
        sop_id=sop.id,
        step_no=step_no,
        target=target,
        sop_version=sop.version,
        title=title,
        source=source,
        state="open",
        current_step_no=current_step_no,
        assignee_role=assignee_role,
        opened_at=at,
        updated_at=at,
        revision=0,
        escalation_level=0,
        provider_wait_s=0,
        reminders_sent=0,
        details=details,
    )
    session.add(case)
    session.flush()
    return case


def open_or_update(
    session: Session,
    sop: Sop,
    step_no: int,
    target: str,
    *,
    title: str,
    at: datetime,
    role: str | None,
    policy: CasePolicy,
    source: str = "agent",
    data: dict[str, Any] | None = None,
) -> CaseChange:
    """A failed threshold: update the open case, reopen one resolved a moment ago, or open a new one.

    The agent's run is the failed step's output, so that step is done at once and the case waits on
    the next step's role; a failure at the SOP's last step stays there with the agent's role.
    """
    case = open_case(session, sop.id, step_no, target)
    event, again = "failed_again", {}
    if case is None:
        case = session.scalars(
            select(Case)
            .where(
                Case.sop_id == sop.id,
                Case.step_no == step_no,
                Case.target == target,
                Case.state == "resolved",
                Case.resolved_at >= at - policy.reopen_within,
            )
            .order_by(Case.resolved_at.desc())
        ).first()
        event = "reopened"
        again = {"note": "gagal lagi tak lama setelah selesai", "resolved_at": None, "reminders_sent": 0}
    if case is not None:
        sources = _sources(case)
        sources[source] = {"failing": True, "good": 0}
        return transition(
            session,
            case,
            event,
            at=at,
            actor=source,
            data=data,
            title=title,
            details=_with_sources(case, sources, last=data),
            **again,
        )
    following = _next_step(sop, step_no, policy)
    current = following or step_no
    case = _new_case(
        session,
        sop,
        step_no,
        target,
        title=title,
        source="agent",
        current_step_no=current,
        assignee_role=step_role(sop, current) if following else (role or step_role(sop, step_no)),
        at=at,
        details={
            "sources": {source: {"failing": True, "good": 0}},
            "agent_role": role,
            "first": data,
            "last": data,
        },
    )
    plan_deadlines(session, case, sop, step_no, at, policy)
    if following:
        # The agent's run did the failed step: done now, and the next step's clock starts now.
        next(d for d in case.deadlines if d.step_no == step_no).done_at = at
        plan_deadlines(session, case, sop, following, at, policy)
        _pass_over(case, step_no, following)
    append_event(session, case, at=at, kind="opened", to_state="open", actor=source, data=data)
    return CaseChange(case, "opened", data)


def record_good(
    session: Session,
    sop_id: str,
    step_no: int,
    target: str,
    *,
    at: datetime,
    note: str,
    policy: CasePolicy,
    source: str = "agent",
    data: dict[str, Any] | None = None,
) -> CaseChange | None:
    """A good check: resolve the open case once every failing source has had M good checks."""
    case = open_case(session, sop_id, step_no, target)
    if case is None or case.source != "agent":
        return None  # a case opened by hand is closed by hand
    sources = _sources(case)
    mine = sources.get(source)
    if mine is None:
        return None  # this agent never reported a failure here: not its to resolve
    good = int(mine.get("good", 0)) + 1
    sources[source] = {"failing": good < policy.resolve_after_good, "good": good}
    if any(s.get("failing") for s in sources.values()):
        event_data = {**(data or {}), "good": good, "needed": policy.resolve_after_good}
        if not mine.get("failing"):
            return None  # already counted as recovered; another source keeps it open
        return transition(
            session,
            case,
            "recovering",
            at=at,
            actor=source,
            data=event_data,
            details=_with_sources(case, sources),
        )
    return transition(
        session,
        case,
        "resolved",
        at=at,
        actor=source,
        note=note,
        data=data,
        resolved_at=at,
        details=_with_sources(case, sources),
    )


# --- people's actions -------------------------------------------------------------------------------


def open_manual(
    session: Session,
    sop: Sop,
    *,
    title: str,
    target: str,
    at: datetime,
    by: str,
    policy: CasePolicy,
    from_step: int = 1,
    note: str | None = None,
) -> CaseChange:
    """A tracked procedure for an SOP no agent performs (PeManTIK, PSE registration, LAPOR...)."""
    sop.step(from_step)  # KeyError names the step
    case = _new_case(
        session,
        sop,
        from_step,
        target,
        title=title,
        source="manual",
        current_step_no=from_step,
        assignee_role=step_role(sop, from_step),
        at=at,
        details={"opened_by": by},
    )
    plan_deadlines(session, case, sop, from_step, at, policy)
    append_event(session, case, at=at, kind="opened", to_state="open", actor=by, note=note)
    return CaseChange(case, "opened")


def acknowledge(
    session: Session, case: Case, *, at: datetime, by: str, note: str | None = None
) -> CaseChange:
    return transition(
        session, case, "acknowledged", at=at, actor=by, note=note, acknowledged_at=at, acknowledged_by=by
    )


def step_done(
    session: Session,
    case: Case,
    sop: Sop,
    *,
    at: datetime,
    by: str,
    policy: CasePolicy,
    note: str | None = None,
    output: str | None = None,
    to_step: int | None = None,
) -> CaseChange:
    """The current step is done (its output recorded); the next one (or `to_step`) starts now.

    The SOP's own branches ("if the technician cannot repair it, coordinate with the provider") are
    followed with `to_step`. Done with the last step, the procedure is complete: the case resolves.
    """
    done = current_deadline(case)
    if done is not None:
        done.done_at = at
    following = to_step if to_step is not None else _next_step(sop, case.current_step_no, policy)
    if following is not None:
        sop.step(following)
    data = {"step": case.current_step_no, "output": output or sop.step(case.current_step_no).output}
    if to_step is not None:
        data["to_step"] = to_step
    if following is None:
        return resolve(session, case, at=at, by=by, note=note or "semua langkah SOP selesai", data=data)
    plan_deadlines(session, case, sop, following, at, policy)
    _pass_over(case, case.current_step_no, following)
    return transition(
        session,
        case,
        "step_done",
        at=at,
        actor=by,
        note=note,
        data=data,
        current_step_no=following,
        assignee_role=step_role(sop, following),
        acknowledged_at=case.acknowledged_at or at,
        acknowledged_by=case.acknowledged_by or by,
        reminders_sent=0,
        escalation_level=0,
        **_wait_ended(case, at),
    )


def _wait_ended(case: Case, at: datetime) -> dict[str, Any]:
    """The values that stop a running provider wait and add it to the total (nothing to add when the
    case is not waiting); the caller's guarded update writes them."""
    waiting = case.state == "waiting_provider" and case.paused_at is not None
    waited = at - case.paused_at if waiting else timedelta()
    return {"paused_at": None, "provider_wait_s": (case.provider_wait_s or 0) + int(waited.total_seconds())}


def engage_provider(
    session: Session,
    case: Case,
    *,
    at: datetime,
    by: str,
    provider: str,
    ticket: str | None,
    told_at: datetime | None = None,
    note: str | None = None,
) -> CaseChange:
    """The fault is with the provider (ISP): who, their ticket and when they were told; the office's
    clock stops until the provider reports back."""
    record = {"provider": provider, "ticket": ticket, "told_at": (told_at or at).isoformat()}
    escalations = [*(case.details or {}).get("provider_escalations", []), record]
    return transition(
        session,
        case,
        "provider_engaged",
        at=at,
        actor=by,
        note=note,
        data=record,
        paused_at=told_at or at,
        details={**(case.details or {}), "provider": record, "provider_escalations": escalations},
    )


def provider_returned(
    session: Session,
    case: Case,
    sop: Sop,
    *,
    at: datetime,
    by: str,
    policy: CasePolicy,
    note: str | None = None,
) -> CaseChange:
    """The provider reported back: the wait is summed and the current step's deadline moves by the
    office time that was left when the clock stopped."""
    paused_at = case.paused_at or at
    ended = _wait_ended(case, at)
    deadline = current_deadline(case)
    if deadline is not None and deadline.due_at is not None and deadline.breached_at is None:
        standard = sop.step(case.current_step_no).time_standard
        clock = policy.clock_24x7(sop.id)
        left = policy.calendar.remaining(paused_at, deadline.due_at, standard, clock)
        deadline.due_at = policy.calendar.resume(at, left, standard, clock)
    return transition(
        session,
        case,
        "provider_returned",
        at=at,
        actor=by,
        note=note,
        data={"waited_s": int((at - paused_at).total_seconds())},
        **ended,
    )


def resolve(
    session: Session,
    case: Case,
    *,
    at: datetime,
    by: str,
    note: str | None,
    data: dict[str, Any] | None = None,
) -> CaseChange:
    return transition(
        session,
        case,
        "resolved",
        at=at,
        actor=by,
        note=note,
        data=data,
        resolved_at=at,
        **_wait_ended(case, at),
    )


def close(session: Session, case: Case, *, at: datetime, by: str, note: str | None) -> CaseChange:
    return transition(
        session, case, "closed", at=at, actor=by, note=note, closed_at=at, **_wait_ended(case, at)
    )


def breached(session: Session, case: Case, deadline: CaseDeadline, *, at: datetime) -> CaseChange:
    """A deadline passed: one event, never two (breached_at is set in the same guarded change)."""
    deadline.breached_at = at
    data = {"step": deadline.step_no, "due_at": deadline.due_at.isoformat() if deadline.due_at else None}
    return transition(session, case, "breached", at=at, actor="sla", data=data)


def escalate(
    session: Session, case: Case, *, at: datetime, level: int, roles: list[str], actor: str
) -> CaseChange:
    return transition(
        session,
        case,
        "escalated",
        at=at,
        actor=actor,
        data={"level": level, "roles": roles},
        escalation_level=level,
    )
