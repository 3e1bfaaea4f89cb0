"""The service's jobs: one per automated SOP step, rebuilt from the registry and config at every start,
and what to do about runs that were due while the service was not running.

The ledger, not the scheduler's memory, decides what was missed: the scheduler keeps no job store, so
a crash, a reboot or an upgrade cannot leave it believing something ran that the ledger never saw.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from sop_registry.errors import InputError
from sop_registry.ledger.models import StepRun
from sop_registry.loader import Registry
from sop_registry.schema import Schedule

from .. import kinds
from ..config import Config
from ..runner import check_binding, step_override

# A run that started but never produced its output does not count as the step done: the next start
# runs it again. Its reason starts with one of these.
INCOMPLETE_REASONS = ("interrupted:", "cancelled:")
# Runs of a calendar job missed in a row are recorded one by one up to this many, then as one row.
MAX_SKIPPED_ROWS = 50


@dataclass(frozen=True)
class JobSpec:
    id: str  # sop:step:target-group, stable across restarts
    sop_id: str
    step_no: int
    check: str
    target_group: str
    schedule: Schedule
    enabled: bool
    # Other selected steps that ask the same question of the same targets on the same schedule with
    # the same settings: one measurement serves them all, each gets its step run as evidence.
    shared: tuple[tuple[str, int], ...] = ()

    @property
    def steps(self) -> tuple[tuple[str, int], ...]:
        return ((self.sop_id, self.step_no), *self.shared)

    @property
    def interval_s(self) -> int | None:
        return self.schedule.interval_s

    def trigger(self, zone: ZoneInfo, start: datetime | None = None) -> BaseTrigger:
        """Calendar schedules run in the office's zone (Senin 07.00 WITA); intervals from `start`."""
        if self.interval_s is not None:
            return IntervalTrigger(seconds=self.interval_s, start_date=start, timezone=zone)
        s = self.schedule
        return CronTrigger(
            month=s.month, day=s.day, day_of_week=s.day_of_week, hour=s.hour, minute=s.minute, timezone=zone
        )

    def grace_s(self) -> int:
        """How late a run may start and still count (event loop busy, clock jump): an interval job
        until its next run; a calendar job for an hour, after which it is recorded as missed."""
        return self.interval_s if self.interval_s is not None else 3600


def has_targets(config: Config, check: str) -> bool:
    """Does this instance have anything to check? A job with nothing to check is not scheduled (an
    hourly error for an office that keeps no DNS would teach people to ignore it)."""
    return kinds.get(check).has_work(config)


def build_jobs(registry: Registry, config: Config) -> list[JobSpec]:
    """Every automated step of the office's SOP set, with the config's schedule and enable overrides
    (step entry wins). Steps that would measure the same thing at the same time are one job, led by
    the first selected step: it routes the cases, the others are recorded as its evidence."""
    jobs: dict[str, JobSpec] = {}
    first_of: dict[str, str] = {}  # what a step measures, as a key -> the job that measures it
    for sop in config.selected_sops(registry):
        for step in sop.steps:
            automation = step.automation
            if automation is None:
                continue
            check_binding(sop.id, step.no, automation)
            override = step_override(config, sop.id, step.no)
            schedule = override.schedule or automation.schedule
            if schedule.is_cron and not any(
                (schedule.month, schedule.day, schedule.day_of_week, schedule.hour, schedule.minute)
            ):
                raise InputError(
                    f"{sop.id} step {step.no}: schedule has neither cron fields nor every_minutes"
                )
            settings = kinds.get(automation.check).layered(config, sop, step.no).values
            question = json.dumps(
                [automation.check, automation.targets, schedule.model_dump(exclude={"text"}),
                 override.enabled, settings],
                sort_keys=True,
                default=str,
            )
            if question in first_of:
                lead = jobs[first_of[question]]
                jobs[lead.id] = replace(lead, shared=(*lead.shared, (sop.id, step.no)))
                continue
            job = JobSpec(
                id=f"{sop.id}:{step.no}:{automation.targets}",
                sop_id=sop.id,
                step_no=step.no,
                check=automation.check,
                target_group=automation.targets,
                schedule=schedule,
                enabled=override.enabled,
            )
            jobs[job.id] = job
            first_of[question] = job.id
    return list(jobs.values())


def fire_times(trigger: BaseTrigger, after: datetime, until: datetime, limit: int) -> list[datetime]:
    """The trigger's fire times in (after, until], at most the last `limit` of them."""
    out: list[datetime] = []
    previous = None
    now = after + timedelta(microseconds=1)
    while True:
        nxt = trigger.get_next_fire_time(previous, now)
        if nxt is None or nxt > until:
            return out[-limit:]
        if nxt > after:
            out.append(nxt)
            if len(out) > 4 * limit:  # a minutely cron after a month off: keep the tail only
                out = out[-limit:]
        previous, now = nxt, nxt + timedelta(microseconds=1)


def current_due(spec: JobSpec, trigger: BaseTrigger, now: datetime) -> datetime | None:
    """The schedule time a run starting at `now` answers: a calendar job's latest fire time within
    its grace; None for interval jobs (they answer no wall-clock time)."""
    if spec.interval_s is not None:
        return None
    due = trigger.get_next_fire_time(None, now - timedelta(seconds=spec.grace_s()))
    return due if due is not None and due <= now else None


def last_accounted(session: Session, spec: JobSpec, probe: str | None) -> datetime | None:
    """When this instance last did (or recorded as skipped) the step: later schedule times are open.

    Runs cut short (killed, cancelled at stop) and runs still marked running do not count.
    """
    query = select(StepRun.started_at).where(
        StepRun.sop_id == spec.sop_id,
        StepRun.step_no == spec.step_no,
        # Only this job's own check: the weekly report is recorded under the same SOP step (Kaltim
        # step 2) and must not count as that Monday's crawl.
        StepRun.agent == spec.check,
        StepRun.status != "running",
        or_(StepRun.reason.is_(None), and_(*[~StepRun.reason.startswith(p) for p in INCOMPLETE_REASONS])),
        StepRun.probe.is_(None) if probe is None else StepRun.probe == probe,
    )
    return session.scalars(query.order_by(StepRun.started_at.desc()).limit(1)).first()


@dataclass(frozen=True)
class CatchUp:
    """What a start owes a job: a run now (for `due`), and the schedule times recorded as skipped."""

    run_due: datetime | None  # run once now, answering this schedule time
    run_now: bool  # an interval job always starts with a run; a calendar job only if it owes one
    skipped: list[tuple[datetime, str]]  # (due_at, reason in Indonesian) for the ledger


def plan_catch_up(
    spec: JobSpec,
    trigger: BaseTrigger,
    last: datetime | None,
    now: datetime,
    window: timedelta,
    local: ZoneInfo,
) -> CatchUp:
    """Decide from the ledger what a start owes this job.

    Calendar job: of the schedule times since the last accounted run, the latest runs now if it is
    within `window` (48 h: the Monday crawl after a weekend power cut), once; the others (and the
    latest, if older) are recorded as skipped with the reason. A new install (no run at all) owes
    only the latest time within the window and records nothing as skipped: it was not running then.
    Interval job: runs at start; a gap of more than two intervals since the last run is recorded as
    one skipped row that says how many runs were missed.
    """

    def local_text(at: datetime) -> str:
        return at.astimezone(local).strftime("%Y-%m-%d %H:%M %Z")

    if spec.interval_s is not None:
        skipped: list[tuple[datetime, str]] = []
        if last is not None:
            interval = timedelta(seconds=spec.interval_s)
            missed = int((now - last) / interval) - 1
            if missed >= 2:
                skipped.append(
                    (
                        last + interval,
                        f"terlewat {missed} kali (setiap {spec.interval_s} detik) antara "
                        f"{local_text(last + interval)} dan {local_text(now)}: layanan tidak berjalan",
                    )
                )
        return CatchUp(run_due=None, run_now=True, skipped=skipped)

    after = last if last is not None else now - window
    times = fire_times(trigger, after, now, MAX_SKIPPED_ROWS + 1)
    if not times:
        return CatchUp(run_due=None, run_now=False, skipped=[])
    latest = times[-1]
    runnable = now - latest <= window
    missed = times[:-1] if runnable else times
    if last is None:
        missed = []  # before the first start nothing was owed
    skipped = [
        (
            due,
            f"terlewat: layanan tidak berjalan pada {local_text(due)}"
            + (f"; dijalankan sekali saat mulai untuk jadwal {local_text(latest)}" if runnable else "")
            + ("" if runnable else f"; lebih dari {window.total_seconds() / 3600:g} jam, tidak dikejar"),
        )
        for due in missed
    ]
    return CatchUp(run_due=latest if runnable else None, run_now=runnable, skipped=skipped)
