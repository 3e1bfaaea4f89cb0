"""The report's SOP steps in the ledger: which runs belong to a period's report, who approved it,
which revisions were sent or approved, and one step run written the same way for each.

A weekly report's runs carry `details.week` ("2026-W47"), a monthly recap's `details.month`
("2026-11"): the service's Monday send reads only its own.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from reports import archive
from reports.period import Month, Period, Week
from sop_registry.errors import InputError
from sop_registry.ledger.models import StepRun
from sop_registry.ledger.store import begin_step_run, finish_step_run
from sop_registry.loader import Registry

from .config import Config

AGENT = "weekly_report"
APPROVAL = "approval"
# What a person reads in the step runs' summaries, per kind of report.
NAMES = {
    "weekly": ("Laporan mingguan", "--week", "weekly"),
    "monthly": ("Laporan bulanan", "--month", "monthly"),
}


def key(period: Period) -> str:
    return "month" if period.kind == "monthly" else "week"


def parse(text: str) -> Period:
    """'2026-W47' or '2026-11' (the service passes either to its child process)."""
    return Week.parse(text) if "W" in text.upper() else Month.parse(text)


def language(config: Config, lang: str | None = None) -> str:
    return lang or config.report.language or config.office.language


def archive_dir(config: Config, period: Period) -> Path:
    return config.resolved_state_dir / "reports" / str(period)


def name(period: Period) -> str:
    """'Laporan mingguan 2026-W47', 'Laporan bulanan 2026-11': the step runs' summaries."""
    return f"{NAMES[period.kind][0]} {period}"


def make_command(period: Period) -> str:
    _, option, command = NAMES[period.kind]
    return f"'sigap report {command} {option} {period}'"


def no_report(period: Period, directory: Path, flag: str = "") -> InputError:
    how = make_command(period)
    return InputError(f"{flag}no stored report for {period} in {directory}: make it with {how}")


def period_runs(session: Session, config: Config, step_no: int, agent: str, period: Period) -> list[StepRun]:
    """This SOP step's runs by `agent` about `period` (the period is in the run's details)."""
    start, _ = period.bounds(config.office.zone)
    runs = session.scalars(
        select(StepRun)
        .where(
            StepRun.sop_id == config.report.sop,
            StepRun.step_no == step_no,
            StepRun.agent == agent,
            StepRun.started_at >= start,
        )
        .order_by(StepRun.started_at, StepRun.id)
    )
    return [r for r in runs if (r.details or {}).get(key(period)) == str(period)]


def approval_of(session: Session, config: Config, period: Period) -> dict[str, Any] | None:
    for run in period_runs(session, config, config.report.approve_step, APPROVAL, period):
        if run.status == "ok":
            d = run.details or {}
            return {
                "by": d.get("by"),
                "at": run.started_at.isoformat(),
                "note": d.get("note"),
                "revision": d.get("revision", 1),  # approvals from before revisions: the only one
            }
    return None


def frozen_in_ledger(session: Session, config: Config, period: Period) -> set[int]:
    """The revisions the ledger says were sent or approved: a crash between the ledger's commit and
    meta.json's write must not leave a sent report open to be written over."""
    sent = period_runs(session, config, config.report.deliver_step, AGENT, period)
    frozen = {(r.details or {}).get("revision", 1) for r in sent if r.status == "ok"}
    approval = approval_of(session, config, period)
    return frozen | ({approval["revision"]} if approval else set())


def step_run(
    session: Session,
    registry: Registry,
    config: Config,
    step_no: int,
    *,
    at: datetime,
    agent: str,
    trigger: str,
    **finish: Any,
) -> StepRun:
    run = begin_step_run(
        session,
        registry[config.report.sop],
        step_no,
        started_at=at,
        agent=agent,
        target_group="report",
        probe=config.probe,
        trigger=trigger,
    )
    return finish_step_run(session, run, finished_at=finish.pop("finished_at", at), **finish)


def record_send(directory: Path, period: Period, entry: archive.Send) -> None:
    record = archive.load(directory, period)  # read again: the send took its time
    record.sends.append(entry)
    archive.save(record)
