"""SOP: the office's SOP set as the console shows it. Each step with its pelaksana, waktu and output;
the check that performs it (with its schedule); its runs this week and its SLA compliance this week,
both as the weekly report counts them (`reports.data.build`, read-only, through the home page's
one-minute cache)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from ..service.jobs import build_jobs
from . import home
from .web import Console


@dataclass
class StepView:
    step: Any  # sop_registry.schema.Step
    check: str | None = None
    schedule: str | None = None
    measured_by: str | None = None  # "sop:step" whose measurement this step shares
    runs: Any = None  # reports.data.StepRow (summed over agents)
    sla: Any = None  # reports.data.SlaRow


@dataclass
class SopView:
    sop: Any
    steps: list[StepView] = field(default_factory=list)


@dataclass
class RunCount:
    runs: int = 0
    done: int = 0
    skipped: int = 0
    errors: int = 0
    late: int = 0


def sop_set(console: Console, db: Session, now: datetime, with_figures: bool) -> tuple[Any, list[SopView]]:
    report = home.week_report(console, db, now) if with_figures else None
    runs: dict[tuple[str, int], RunCount] = {}
    sla: dict[tuple[str, int], Any] = {}
    if report is not None:
        for r in report.steps.rows:
            c = runs.setdefault((r.sop_id, r.step_no), RunCount())
            c.runs, c.done, c.skipped = c.runs + r.runs, c.done + r.done, c.skipped + r.skipped
            c.errors, c.late = c.errors + r.errors, c.late + r.late
        sla = {(r.sop_id, r.step_no): r for r in report.cases.sla}
    shared: dict[tuple[str, int], str] = {}
    for job in build_jobs(console.registry, console.config):
        for other in job.shared:
            shared[other] = f"{job.sop_id}:{job.step_no}"
    views = []
    for sop in console.config.selected_sops(console.registry):
        view = SopView(sop)
        for step in sop.steps:
            a = step.automation
            sv = StepView(step)
            if a is not None:
                sv.check = a.check
                sv.schedule = home.schedule_words(a.schedule)
            sv.measured_by = shared.get((sop.id, step.no))
            sv.runs = runs.get((sop.id, step.no))
            sv.sla = sla.get((sop.id, step.no))
            view.steps.append(sv)
        views.append(view)
    return report, views
