"""The SLA clock: deadlines breached, escalation to the next level, reminders, resolved cases closed.

One sweep looks at every open case at `now` (passed in) and writes what it decides, with the
notifications, in one transaction. A breach is an event once (breached_at is set with it); each
escalation level once (escalation_level). A case waiting for its provider has a stopped clock.
Must run on one instance at a time (the service holds a lock for it); two sweeps at once would
be refused by the case revision guard rather than double-apply.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, selectinload

from sop_registry.ledger.cases import breached, close, current_deadline, escalate, overdue
from sop_registry.ledger.models import OPEN_CASE_STATES, Case
from sop_registry.loader import Registry

from .config import Config
from .notify.outbox import Alert, enqueue, roles_for

log = logging.getLogger("sigap.sla")


@dataclass
class SweepResult:
    breached: int = 0
    escalated: int = 0
    reminded: int = 0
    closed: int = 0
    notifications: int = 0


def log_result(swept: SweepResult) -> None:
    """One line when a sweep changed something; silence when it did not (every few seconds)."""
    if swept.breached or swept.escalated or swept.reminded or swept.closed:
        log.info(
            "sla sweep breached=%s escalated=%s reminded=%s closed=%s",
            swept.breached,
            swept.escalated,
            swept.reminded,
            swept.closed,
        )


def sweep(engine: Engine, config: Config, registry: Registry, clock: Callable[[], datetime]) -> SweepResult:
    now = clock()
    result = SweepResult()
    alerts: list[Alert] = []
    settings = config.cases
    with Session(engine) as session, session.begin():
        # Every open case every poll: their deadlines in one more query, not one per case.
        cases = session.scalars(
            select(Case)
            .where(Case.state.in_(OPEN_CASE_STATES))
            .options(selectinload(Case.deadlines))
            .order_by(Case.id)
        ).all()
        for case in cases:
            if case.sop_id not in registry.sops:
                log.warning("case=%s names unknown SOP sop=%s: SLA not kept", case.id, case.sop_id)
                continue
            if case.state == "waiting_provider":
                continue  # the office's clock is stopped while the provider works
            deadline = current_deadline(case)
            if deadline is not None and deadline.breached_at is None and overdue(deadline, now):
                breached(session, case, deadline, at=now)
                alerts.append(Alert("breached", case, roles_for(case)))
                result.breached += 1
                log.info(
                    "deadline breached sop=%s step=%s target=%s case=%s",
                    case.sop_id,
                    case.current_step_no,
                    case.target,
                    case.id,
                )
            if deadline is not None and deadline.breached_at is not None:
                told = set(roles_for(case))
                for level, rule in enumerate(settings.escalation, start=1):
                    if case.escalation_level >= level:
                        continue
                    if now < deadline.breached_at + timedelta(minutes=rule.after_breach_minutes):
                        break
                    escalate(session, case, at=now, level=level, roles=rule.roles, actor="sla")
                    result.escalated += 1
                    new_roles = tuple(r for r in rule.roles if r not in told)
                    told.update(rule.roles)
                    if new_roles:
                        alerts.append(Alert("escalated", case, new_roles, {"roles": list(rule.roles)}))
            elif (
                case.state == "open"
                and case.reminders_sent < settings.max_reminders
                and now - (case.last_notified_at or case.opened_at)
                >= timedelta(minutes=settings.remind_every_minutes)
            ):
                case.reminders_sent += 1  # bookkeeping of the outbox, not a change of the case
                alerts.append(Alert("reminder", case, roles_for(case)))
                result.reminded += 1
        old = now - timedelta(days=settings.close_after_days)
        for case in session.scalars(select(Case).where(Case.state == "resolved", Case.resolved_at <= old)):
            close(
                session,
                case,
                at=now,
                by="sla",
                note=f"ditutup otomatis {settings.close_after_days:g} hari setelah selesai",
            )
            result.closed += 1
        result.notifications = len(enqueue(session, alerts, now, config, registry))
    return result
