"""A person's move on a case, from a console button or an API call: the case engine's own calls, as
`sigap case ...` makes them (agents/cli/cases.py), with the person's display name as `by`.

The notifications a move causes are written to the outbox in the same transaction (the caller
commits), with the CLI's alert kinds. Two moves the CLI has no command for go through the engine's
`transition` like every other: a note ("noted", any state) and reopening a resolved case by hand
("reopened"; the current step's deadline and those after it are planned again from now).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from sop_registry.errors import InputError
from sop_registry.ledger import cases as engine_cases
from sop_registry.ledger.models import Case
from sop_registry.ledger.transitions import InvalidTransition

from ..notify.outbox import Alert, enqueue, roles_for
from .web import Conflict, Console

MAX_NOTE = 2000


@dataclass(frozen=True)
class Move:
    action: str
    note: str | None = None
    provider: str | None = None
    ticket: str | None = None
    output: str | None = None
    to_step: int | None = None


def _bounded(value: str | None, name: str, limit: int) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if "\x00" in value:
        raise InputError(f"{name}: NUL characters are not allowed")
    if len(value) > limit:
        raise InputError(f"{name}: at most {limit} characters")
    return value or None


def check_move(move: Move) -> Move:
    """What each move needs: a note to note or resolve, a provider to hold for."""
    note = _bounded(move.note, "note", MAX_NOTE)
    provider = _bounded(move.provider, "provider", 128)
    ticket = _bounded(move.ticket, "ticket", 64)
    output = _bounded(move.output, "output", 500)
    if move.action in ("note", "resolve") and not note:
        raise InputError("note: required")
    if move.action == "hold" and not provider:
        raise InputError("provider: required")
    return Move(move.action, note, provider, ticket, output, move.to_step)


def apply(console: Console, db: Session, case: Case, move: Move, by: str, now: datetime) -> str:
    """Make the move; returns the engine's change kind. Refused moves are `Conflict`."""
    move = check_move(move)
    config, registry = console.config, console.registry
    sop = registry.sops.get(case.sop_id)
    if sop is None:
        raise Conflict(f"SOP {case.sop_id} is not in the registry")
    alerts: list[Alert] = []
    note = move.note
    try:
        if move.action == "ack":
            change = engine_cases.acknowledge(db, case, at=now, by=by, note=note)
        elif move.action == "note":
            change = engine_cases.transition(db, case, "noted", at=now, actor=by, note=note)
        elif move.action == "hold":
            change = engine_cases.engage_provider(
                db, case, at=now, by=by, provider=move.provider or "", ticket=move.ticket, note=note
            )
        elif move.action == "resume":
            change = engine_cases.provider_returned(
                db, case, sop, at=now, by=by, policy=config.case_policy(), note=note
            )
        elif move.action == "step_done":
            if move.to_step is not None and move.to_step not in {s.no for s in sop.steps}:
                raise InputError(f"to_step: {sop.id} has no step {move.to_step}")
            change = engine_cases.step_done(
                db,
                case,
                sop,
                at=now,
                by=by,
                policy=config.case_policy(),
                note=note,
                output=move.output,
                to_step=move.to_step,
            )
            alerts.append(
                Alert("resolved" if change.kind == "resolved" else "assigned", case, roles_for(case))
            )
        elif move.action == "resolve":
            change = engine_cases.resolve(db, case, at=now, by=by, note=note)
            alerts.append(Alert("resolved", case, roles_for(case)))
        elif move.action == "reopen":
            change = _reopen(console, db, case, sop, by, now, note)
            alerts.append(Alert("reopened", case, roles_for(case)))
        elif move.action == "close":
            change = engine_cases.close(db, case, at=now, by=by, note=note)
        else:
            raise InputError(f"action: unknown {move.action!r}")
        enqueue(db, alerts, now, config, registry)
    except InvalidTransition as exc:
        raise Conflict(str(exc)) from None
    except engine_cases.ConcurrentCaseUpdate as exc:
        raise Conflict(f"{exc}; try again") from None
    return change.kind


def _reopen(
    console: Console, db: Session, case: Case, sop, by: str, now: datetime, note: str | None
) -> engine_cases.CaseChange:
    if case.state != "resolved":
        raise InvalidTransition(f"'reopened' tidak berlaku untuk kasus {case.state} (state {case.state})")
    engine_cases.plan_deadlines(db, case, sop, case.current_step_no, now, console.config.case_policy())
    return engine_cases.transition(
        db,
        case,
        "reopened",
        at=now,
        actor=by,
        note=note,
        resolved_at=None,
        reminders_sent=0,
        escalation_level=0,
        last_notified_at=now,
    )
