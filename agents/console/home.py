"""Ringkasan (the home page): the week so far as the weekly report counts it, the SOP steps due and
overdue, the open cases by SLA time left, and the last run of every scheduled step.

The tiles are the report's own (`reports.data.build` and `reports.summary.tiles`, read-only), for the
office-wide week, so an OPD admin (whose scope the report exceeds) does not get them. The build reads
every link sample of the week; it is kept for `TILE_TTL_S` so twenty people on the home page cost one
build a minute, not twenty.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from reports import data as report_data
from reports import summary as report_summary
from reports import texts as report_texts
from reports.period import Week
from sop_registry.ledger.models import StepRun

from ..service.jobs import JobSpec, build_jobs
from . import queries
from .web import Console, Viewer

TILE_TTL_S = 60.0
SOON = timedelta(hours=24)  # a deadline within this is "due"
_cache_lock = threading.Lock()
_cache: dict[tuple[int, str], tuple[float, Any]] = {}


_building: dict[tuple[int, str], threading.Lock] = {}


def week_report(console: Console, db: Session, now: datetime, week: Week | None = None) -> Any:
    """The weekly report's figures for `week` (default: this week, so far), kept for a minute. One
    build at a time per week: the others who asked meanwhile wait for it and share it."""
    week = week or Week.containing(now.astimezone(console.config.office.zone).date())
    key = (id(console), str(week))
    with _cache_lock:
        hit = _cache.get(key)
        if hit and time.monotonic() - hit[0] < TILE_TTL_S:
            return hit[1]
        building = _building.setdefault(key, threading.Lock())
    with building:
        with _cache_lock:
            hit = _cache.get(key)
            if hit and time.monotonic() - hit[0] < TILE_TTL_S:
                return hit[1]
        report = report_data.build(db, console.config, week, now)
        with _cache_lock:
            _cache[key] = (time.monotonic(), report)
    return report


def week_tiles(console: Console, db: Session, now: datetime, lang: str) -> tuple[Any, list[dict[str, str]]]:
    report = week_report(console, db, now)
    return report, report_summary.tiles(report, console.formatter(lang), report_texts.get(lang))


@dataclass
class StepLine:
    sop: str
    step: int
    activity: str
    check: str
    schedule: str
    waktu: str | None
    last: StepRun | None
    next_at: datetime | None
    overdue: bool  # a schedule time passed (beyond its grace) with no run since
    shared_by: tuple[tuple[str, int], ...] = ()


def _schedule_text(spec: JobSpec) -> str:
    return schedule_words(spec.schedule)


def schedule_words(s: Any) -> str:
    """The schedule as the SOP words it (its `text`), else its cron fields or its interval."""
    if s.interval_s is not None:
        return f"{s.interval_s} s"
    return s.text or " ".join(
        f"{k}={v}" for k, v in (("day_of_week", s.day_of_week), ("hour", s.hour), ("minute", s.minute)) if v
    )


def scheduled_steps(console: Console, db: Session, now: datetime) -> list[StepLine]:
    """Every scheduled step of the office's SOP set with its last run; one line per job (the steps
    that share its measurement named beside it)."""
    zone = console.config.office.zone
    lines = []
    for spec in build_jobs(console.registry, console.config):
        if not spec.enabled:
            continue
        last = db.scalars(
            select(StepRun)
            .where(StepRun.sop_id == spec.sop_id, StepRun.step_no == spec.step_no)
            .order_by(StepRun.started_at.desc(), StepRun.id.desc())
            .limit(1)
        ).first()
        if spec.interval_s is not None:
            every = timedelta(seconds=spec.interval_s)
            next_at = max(last.started_at + every, now) if last else None
            overdue = last is not None and now - last.started_at > 3 * every
        else:
            trigger = spec.trigger(zone)
            next_at = trigger.get_next_fire_time(None, now)
            previous = trigger.get_next_fire_time(None, now - timedelta(days=32))
            while previous is not None:
                following = trigger.get_next_fire_time(previous, previous + timedelta(seconds=1))
                if following is None or following > now:
                    break
                previous = following
            overdue = (
                previous is not None
                and previous + timedelta(seconds=spec.grace_s()) < now
                and (last is None or last.started_at < previous)
            )
        sop = console.registry.sops.get(spec.sop_id)
        step = sop.step(spec.step_no) if sop else None
        lines.append(
            StepLine(
                spec.sop_id,
                spec.step_no,
                step.activity if step else "",
                spec.check,
                _schedule_text(spec),
                step.waktu if step else None,
                last,
                next_at,
                overdue,
                spec.shared,
            )
        )
    return lines


def case_steps(
    console: Console, db: Session, viewer: Viewer, now: datetime
) -> tuple[list[queries.CaseRow], list[queries.CaseRow], list[queries.CaseRow]]:
    """Open cases by SLA time left; of them, the SOP steps overdue and those due within a day."""
    rows = queries.case_rows(console, db, viewer, queries.CaseFilter(state="open"), now)
    overdue = [r for r in rows if r.left_s is not None and r.left_s <= 0 and not r.paused]
    due = [r for r in rows if r.left_s is not None and 0 < r.left_s <= SOON.total_seconds() and not r.paused]
    return rows, overdue, due
