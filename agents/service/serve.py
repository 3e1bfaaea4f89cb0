"""`sigap serve`: every agent on its SOP's schedule, the SLA clock and the outbox, in one process.

Start: migrate the ledger; mark this instance's runs left `running` by a crash as interrupted; rebuild
the jobs from the registry and config; ask the ledger what was missed while stopped (catch-up runs
once, older misses are recorded as skipped); start the scheduler, the HTTP endpoint and the
housekeeping loops; tell systemd READY. Stop (SIGTERM/SIGINT): no new runs; runs in flight get
`service.stop_timeout_s` to finish, then are cancelled and recorded; the outbox worker finishes the
attempt in hand; the leader lock is released.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import signal
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from apscheduler.events import (
    EVENT_JOB_MAX_INSTANCES,
    EVENT_JOB_MISSED,
    JobExecutionEvent,
    JobSubmissionEvent,
)
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.base import BaseTrigger
from sqlalchemy import Engine, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from sop_registry.errors import InputError
from sop_registry.ledger import upgrade
from sop_registry.ledger.models import StepRun
from sop_registry.ledger.store import last_step_run, record_skipped
from sop_registry.loader import Registry

from .. import kinds
from ..config import Config
from ..notify.service import drain
from ..notify.worker import AppriseSender, Send
from ..runner import WRITE_FAILURES, LedgerWriteFailed, run_step, write_failure_reason
from ..sla import log_result, sweep
from ..weekly_report import make_and_send_in_child, owed_week
from . import heap, logs, sdnotify
from .http import HealthState, HttpEndpoint, bound_socket_waiting, make_app
from .jobs import (
    MAX_SKIPPED_ROWS,
    CatchUp,
    JobSpec,
    build_jobs,
    current_due,
    has_targets,
    last_accounted,
    plan_catch_up,
)
from .leader import Leadership, instance_lock
from .metrics import ServiceMetrics

log = logging.getLogger("sigap.service")

Clock = Callable[[], datetime]

MAX_UNRECORDED_PER_JOB = 3  # measured runs kept per job while the ledger refuses writes


def _utc_now() -> datetime:
    return datetime.now(UTC)


class Service:
    def __init__(
        self,
        config: Config,
        registry: Registry,
        engine: Engine,
        *,
        send: Send | None = None,
        clock: Clock = _utc_now,
    ) -> None:
        self.config = config
        self.registry = registry
        self.engine = engine
        self.send = send or AppriseSender(config.notify.send_timeout_s)
        self.clock = clock
        self.zone = config.office.zone
        self.metrics = ServiceMetrics(engine)
        self.leadership = Leadership(engine, config.resolved_state_dir)
        self.instance = instance_lock(engine, config.resolved_state_dir, config.probe)
        self.stop_event = asyncio.Event()
        self.scheduler: AsyncIOScheduler | None = None
        self.specs: dict[str, JobSpec] = {}  # the jobs that run: enabled or not, with targets
        self.idle: set[str] = set()  # jobs with nothing to check on this instance
        self.triggers: dict[str, BaseTrigger] = {}
        self.catch_up: dict[str, datetime | None] = {}  # job id -> due time its next run answers
        self.running: dict[str, asyncio.Task] = {}
        self.last_runs: dict[str, dict[str, Any]] = {}
        self.state = HealthState(probe=config.probe)
        self.http: HttpEndpoint | None = None
        self.settler = heap.Settler()
        self.console: Any = None  # the console's child process (console_proc), when it is on
        self.resources: dict[str, Any] = {}  # what kinds borrow for the service's life (by name)
        self.ledger_file: LedgerFile | None = None  # known once prepare() has made the ledger
        self.run_now: dict[str, bool] = {}  # job id -> start with a run (interval, or catch-up owed)
        # The ledger refusing writes (disk full): why, the runs measured but not yet recorded (kept
        # in memory and written again every service.write_retry_s), and the calendar jobs that could
        # not even begin their run, which run again once writes work.
        self.write_problem: str | None = None
        self.unrecorded: list[tuple[str, LedgerWriteFailed]] = []
        self.rerun: set[str] = set()
        self.write_tried = 0.0
        self.chat: Any = None  # the Telegram bot and WhatsApp gateway (chat:), when configured

    # --- start ------------------------------------------------------------------------------

    def prepare(self) -> list[JobSpec]:
        """Migrate the ledger and build the jobs (idle ones set apart). Synchronous, so `sigap serve
        --dry-run` can show the plan without starting anything."""
        before, after = upgrade(self.engine)
        if before != after:
            log.info("ledger migrated from=%s to=%s", before or "-", after)
        self.ledger_file = LedgerFile.of(self.config.database_url())
        specs = build_jobs(self.registry, self.config)
        self.idle = {s.id for s in specs if not has_targets(self.config, s.check)}
        self.specs = {s.id: s for s in specs if s.id not in self.idle}
        for job_id in sorted(self.idle):
            spec = next(s for s in specs if s.id == job_id)
            log.info(
                "job idle sop=%s step=%s target=%s reason=no targets for this instance",
                spec.sop_id,
                spec.step_no,
                spec.target_group,
            )
        return specs

    def mark_interrupted(self, now: datetime) -> int:
        """Runs of this instance still `running` from before this start were cut short (kill -9,
        power cut): say so, so they neither look in progress nor count as the step done."""
        probe = self.config.probe
        with Session(self.engine) as session, session.begin():
            result = session.execute(
                update(StepRun)
                .where(
                    StepRun.status == "running",
                    StepRun.started_at < now,
                    StepRun.trigger.in_(("scheduled", "catch_up")),
                    StepRun.probe.is_(None) if probe is None else StepRun.probe == probe,
                )
                .values(
                    status="error",
                    finished_at=now,
                    reason="interrupted: the service stopped during the run (crash, kill or power cut)",
                )
            )
            count = result.rowcount or 0
        if count:
            log.warning("marked interrupted runs=%s probe=%s", count, probe or "-")
        return count

    def owed(self, session: Session, spec: JobSpec, now: datetime) -> tuple[BaseTrigger, CatchUp]:
        """The job's trigger from `now`, and what a start at `now` owes it (asked of the ledger)."""
        trigger = spec.trigger(self.zone, start=now)
        last = last_accounted(session, spec, self.config.probe)
        window = timedelta(hours=self.config.service.catch_up_hours)
        return trigger, plan_catch_up(spec, trigger, last, now, window, self.zone)

    def plan(self, now: datetime) -> None:
        """Record the runs missed while stopped, and mark the catch-up runs owed."""
        for spec in self.specs.values():
            if not spec.enabled and spec.interval_s is not None:
                self.triggers[spec.id] = spec.trigger(self.zone, start=now)
                continue  # a disabled minutely check would write a skipped row a minute
            with Session(self.engine) as session, session.begin():
                trigger, plan = self.owed(session, spec, now)
                self.triggers[spec.id] = trigger
                for due, reason in plan.skipped:
                    # Stamped with the time it stands for, so the next start counts it as accounted.
                    self._skipped(session, spec, at=due, due=due, reason=reason, trigger="catch_up")
                prev = last_step_run(session, spec.sop_id, spec.step_no)
                if prev is not None:
                    self.last_runs[spec.id] = _run_info(prev)
            if plan.run_now:
                # Interval jobs after a gap, and every calendar catch-up, are marked catch_up.
                if plan.run_due is not None or plan.skipped or spec.interval_s is None:
                    self.catch_up[spec.id] = plan.run_due
                if plan.run_due is not None:
                    log.info(
                        "catch-up run sop=%s step=%s target=%s due=%s",
                        spec.sop_id,
                        spec.step_no,
                        spec.target_group,
                        plan.run_due.isoformat(),
                    )
            self.run_now[spec.id] = plan.run_now

    def schedule(self, now: datetime) -> AsyncIOScheduler:
        scheduler = AsyncIOScheduler(timezone=self.zone, job_defaults={"coalesce": True, "max_instances": 1})
        for spec in self.specs.values():
            if not spec.enabled and spec.interval_s is not None:
                log.info(
                    "job disabled sop=%s step=%s target=%s", spec.sop_id, spec.step_no, spec.target_group
                )
                continue
            extra = {"next_run_time": now} if self.run_now.get(spec.id) else {}
            scheduler.add_job(
                self.run_job,
                self.triggers[spec.id],
                args=[spec.id],
                id=spec.id,
                name=spec.id,
                coalesce=True,
                max_instances=1,
                misfire_grace_time=spec.grace_s(),
                replace_existing=True,
                **extra,
            )
        scheduler.add_listener(self._on_missed, EVENT_JOB_MISSED | EVENT_JOB_MAX_INSTANCES)
        return scheduler

    # --- the jobs ---------------------------------------------------------------------------

    async def run_job(self, job_id: str) -> None:
        spec = self.specs[job_id]
        if self.stop_event.is_set():
            return
        task = asyncio.current_task()
        assert task is not None
        self.running[job_id] = task
        now = self.clock()
        trigger, due = "scheduled", current_due(spec, self.triggers[job_id], now)
        if job_id in self.catch_up:
            trigger, due = "catch_up", self.catch_up.pop(job_id)
        started = time.perf_counter()
        status = "error"
        try:
            result = await run_step(
                self.config,
                self.engine,
                self.registry[spec.sop_id],
                spec.step_no,
                clock=self.clock,
                trigger=trigger,
                due_at=due,
                registry=self.registry,
                resources=self._resources(spec.check),
                observe=self.metrics.observe_outcome,
                shared=[(self.registry[sop_id], no) for sop_id, no in spec.shared],
            )
            status = result.status
            self.last_runs[job_id] = {
                "run_id": result.run_id,
                "status": result.status,
                "started_at": now.isoformat(),
                "finished_at": self.clock().isoformat(),
                "trigger": trigger,
            }
        except LedgerWriteFailed as exc:
            status = "unrecorded"
            self._write_failed(spec, exc)
        except asyncio.CancelledError:
            # The service is stopping and the runner has recorded the run as cancelled: one INFO
            # line, not the scheduler's ERROR traceback of a re-raised CancelledError (65 lines).
            status = "cancelled"
            log.info("run cancelled sop=%s step=%s reason=service stopping", spec.sop_id, spec.step_no)
        except Exception:
            # The runner records an agent's failure; this is the ledger itself failing (database
            # gone). The job stays scheduled and tries again at its next time.
            log.exception("job failed sop=%s step=%s target=%s", spec.sop_id, spec.step_no, spec.target_group)
        finally:
            self.running.pop(job_id, None)
            self.settler.after_first_run(job_id)
            self.metrics.observe_run(
                spec.sop_id, spec.step_no, spec.check, status, time.perf_counter() - started
            )
            self.metrics.last_run.labels(job_id).set(time.time())

    def _start_http(self) -> None:
        """http.listen: /healthz and /metrics from a thread of this process; with the console on,
        the console in a child process serving the socket and forwarding those two here (console_proc
        says why). Bound before anything starts: a port still in use after http.BIND_WAIT_S is one line
        and exit 2."""
        try:
            listen = bound_socket_waiting(*self.config.http.address())
        except OSError as exc:
            raise InputError(
                f"http.listen: cannot listen on {self.config.http.listen}: {exc.strerror or exc}"
            ) from None
        health = make_app(lambda: self.state, self.engine, self.metrics)
        if not self.config.console.enabled:
            self.http = HttpEndpoint.on_socket(listen, health)
            self.http.start()
        else:
            from .console_proc import ConsoleProcess, ConsoleStartFailed, health_socket

            inner, path = health_socket()
            self.http = HttpEndpoint.on_socket(inner, health)
            self.http.start()
            url = self.engine.url.render_as_string(hide_password=False)
            self.console = ConsoleProcess(
                listen, path, self.config, self.registry, url, logs.secret_values(self.config), self.clock
            )
            try:
                self.console.start()
            except ConsoleStartFailed as exc:  # e.g. the console's key cannot be kept (read-only state)
                self.console.stop()
                self.http.stop()
                raise InputError(str(exc)) from None
        log.info(
            "http listening address=%s console=%s",
            self.config.http.listen,
            f"on (pid {self.console.pid})" if self.console is not None else "off",
        )

    # --- a ledger that refuses writes -------------------------------------------------------

    def _write_failed(self, spec: JobSpec, exc: LedgerWriteFailed) -> None:
        """Keep what the run measured, say so once, and report unhealthy until writes work again."""
        if exc.retry is not None:
            self.unrecorded.append((spec.id, exc))
            # Bounded: a minutely link check on a disk full for a day must not grow the heap; the
            # oldest kept run of the same job goes first (its row stays `running`, said in the log).
            mine = [i for i, (job_id, _) in enumerate(self.unrecorded) if job_id == spec.id]
            if len(mine) > MAX_UNRECORDED_PER_JOB:
                _job, dropped = self.unrecorded.pop(mine[0])
                log.error(
                    "unrecorded run dropped sop=%s step=%s runs=%s",
                    spec.sop_id,
                    spec.step_no,
                    dropped.run_ids,
                )
        elif spec.interval_s is None:
            self.rerun.add(spec.id)  # a calendar run (the Monday crawl) that could not begin
        first = self.write_problem is None
        self.write_problem = f"ledger write failed: {exc.reason}"
        self.write_tried = time.monotonic()
        if first:
            log.error(
                "ledger write failed sop=%s step=%s runs=%s reason=%s: measurements kept in memory, "
                "written again every %g s",
                spec.sop_id,
                spec.step_no,
                ",".join(map(str, exc.run_ids)) or "-",
                exc.reason,
                self.config.service.write_retry_s,
            )
        else:
            log.debug(
                "ledger write failed again sop=%s step=%s reason=%s", spec.sop_id, spec.step_no, exc.reason
            )

    def _retry_writes(self) -> None:
        """Write the kept runs, oldest first; when all are in (or none was kept), writes work again."""
        self.write_tried = time.monotonic()
        while self.unrecorded:
            job_id, failed = self.unrecorded[0]
            try:
                result = failed.retry()
            except WRITE_FAILURES as exc:
                self.write_problem = f"ledger write failed: {write_failure_reason(exc)}"
                return
            except Exception:
                # Not the disk: a bug in recording this outcome. Said, and not tried forever.
                log.exception("kept run could not be recorded runs=%s", failed.run_ids)
                result = None
            self.unrecorded.pop(0)
            if result is not None:
                log.info("kept run recorded run=%s status=%s job=%s", result.run_id, result.status, job_id)
        if not self._probe_write():
            return
        log.warning("ledger writes work again after: %s", self.write_problem)
        self.write_problem = None
        for job_id in sorted(self.rerun):
            if self.scheduler is not None and self.scheduler.get_job(job_id) is not None:
                self.scheduler.modify_job(job_id, next_run_time=datetime.now(self.zone))
                log.info("run again job=%s reason=its run could not be recorded", job_id)
        self.rerun.clear()

    def _probe_write(self) -> bool:
        try:
            with self.engine.begin() as conn:
                conn.execute(text("UPDATE alembic_version SET version_num = version_num"))
        except WRITE_FAILURES as exc:
            self.write_problem = f"ledger write failed: {write_failure_reason(exc)}"
            return False
        return True

    def _resources(self, check: str) -> dict[str, Any]:
        """What the kind asks the service to lend: made once, kept for the life of the service (one
        SNMP engine, not a socket, a dispatcher and every SNMPv3 engine-id discovery per run)."""
        lent = {}
        for name, (make, _close) in kinds.get(check).resources.items():
            if name not in self.resources:
                self.resources[name] = make()
            lent[name] = self.resources[name]
        return lent

    def _on_missed(self, event: JobExecutionEvent | JobSubmissionEvent) -> None:
        """A run the scheduler did not start: still running from last time, or too late.

        APScheduler tells the first with a JobSubmissionEvent (`scheduled_run_times`, a list) and the
        second with a JobExecutionEvent (`scheduled_run_time`): each missed time is a skipped row."""
        spec = self.specs.get(event.job_id)
        if spec is None:
            return
        if event.code == EVENT_JOB_MAX_INSTANCES:
            reason = "dilewati: putaran sebelumnya belum selesai"
        else:
            reason = "terlewat: terlambat lebih dari batas toleransi jadwal"
        times = getattr(event, "scheduled_run_times", None) or [event.scheduled_run_time]
        try:
            with Session(self.engine) as session, session.begin():
                for when in times[-MAX_SKIPPED_ROWS:]:
                    due = when.astimezone(UTC)
                    self._skipped(session, spec, at=self.clock(), due=due, reason=reason, trigger="scheduled")
        except WRITE_FAILURES as exc:
            self.write_problem = f"ledger write failed: {write_failure_reason(exc)}"
            log.error(
                "skipped run not recorded sop=%s step=%s reason=%s",
                spec.sop_id,
                spec.step_no,
                self.write_problem,
            )

    def _skipped(
        self, session: Session, spec: JobSpec, *, at: datetime, due: datetime, reason: str, trigger: str
    ) -> None:
        """A run that was due and did not happen: a step run with status skipped and the reason, for
        each step the job's measurement serves (each step's record says it was not done)."""
        for sop_id, step_no in spec.steps:
            record_skipped(
                session,
                self.registry[sop_id],
                step_no,
                at=at,
                due_at=due,
                reason=reason,
                agent=spec.check,
                target_group=spec.target_group,
                probe=self.config.probe,
                trigger=trigger,
            )
            self.metrics.runs.labels(sop_id, str(step_no), spec.check, "skipped").inc()
        log.warning(
            "run skipped sop=%s step=%s target=%s due=%s reason=%s",
            spec.sop_id,
            spec.step_no,
            spec.target_group,
            due.isoformat(),
            reason,
        )

    # --- housekeeping loops -----------------------------------------------------------------

    async def _every(self, seconds: float, work: Callable[[], Any], name: str) -> None:
        while not self.stop_event.is_set():
            if (self.state.ledger_problem or self.write_problem) and work != self._heartbeat:
                # The ledger is gone: no sweep, send or report would land anywhere anyone reads.
                # It refuses writes: a message sent could not be marked sent, and would go twice.
                await asyncio.sleep(min(seconds, 1.0))
                continue
            try:
                result = work()
                if asyncio.iscoroutine(result):
                    await result
            except Exception:
                log.exception("%s failed", name)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stop_event.wait(), seconds)

    def _heartbeat(self) -> None:
        if self.console is not None:
            self.console.watch(time.monotonic())
        scheduler = self.scheduler
        jobs = []
        for spec in self.specs.values():
            job = scheduler.get_job(spec.id) if scheduler else None
            jobs.append(
                {
                    "id": spec.id,
                    "sop": spec.sop_id,
                    "step": spec.step_no,
                    "check": spec.check,
                    "enabled": spec.enabled,
                    "running": spec.id in self.running,
                    "next_run": job.next_run_time.isoformat() if job and job.next_run_time else None,
                    "last_run": self.last_runs.get(spec.id),
                }
            )
        problem = self.state.ledger_problem or self._ledger_gone()
        if (
            problem is None
            and self.write_problem
            and time.monotonic() - self.write_tried >= self.config.service.write_retry_s
        ):
            self._retry_writes()
        self.state = HealthState(
            started_at=self.state.started_at,
            heartbeat=time.time(),
            scheduler_running=bool(scheduler and scheduler.running) and problem is None,
            leader=self.leadership.leading,
            probe=self.config.probe,
            jobs=jobs,
            ledger_problem=problem,
            write_problem=self.write_problem,
        )

    def _ledger_gone(self) -> str | None:
        """The SQLite file deleted or replaced while the service runs: its connections would go on
        writing to the unlinked file for the rest of its life. Said once, and writes stop."""
        problem = self.ledger_file.problem() if self.ledger_file else None
        if problem is not None:
            log.error("ledger lost %s: runs stop until the service is restarted", problem)
            if self.scheduler is not None and self.scheduler.running:
                self.scheduler.pause()
        return problem

    def _leader(self) -> None:
        self.metrics.leader.set(1 if self.leadership.poll() else 0)

    async def _sla(self) -> None:
        if not self.leadership.leading:
            return
        # In a worker thread: a sweep over a province's open cases must not hold up the link probes.
        log_result(await asyncio.to_thread(sweep, self.engine, self.config, self.registry, self.clock))
        self.metrics.sla_sweeps.inc()

    async def _report(self) -> None:
        """Last week's report, once it is owed (Monday after the crawl), made and sent by the leader.

        Made in a spawned process: the event loop keeps probing links and pinging the watchdog while
        the PDF renders, and WeasyPrint's few hundred MiB for a long report go back to the system
        when it ends rather than staying in the service's heap (bench_report.py)."""
        if not self.leadership.leading:
            return
        week = await asyncio.to_thread(owed_week, self.config, self.engine, self.clock())
        if week is None:
            return
        log.info("weekly report owed week=%s", week)
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
            await asyncio.get_running_loop().run_in_executor(
                pool, make_and_send_in_child, self.config, self.registry, str(week)
            )
        log.info("weekly report done week=%s", week)

    async def _deliver(self) -> None:
        stats = await drain(self.engine, self.config, self.send, self.clock, self.stop_event, self.chat)
        self.metrics.sent.inc(stats.sent)
        self.metrics.failed.inc(stats.failed)

    async def _watchdog(self, interval: float) -> None:
        # Pinged from the event loop: if the loop hangs (a blocking call that never returns), the
        # pings stop and systemd restarts the service after WatchdogSec.
        while not self.stop_event.is_set():
            if self.scheduler is not None and self.scheduler.running:
                sdnotify.notify("WATCHDOG=1")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stop_event.wait(), interval)

    # --- the whole life ---------------------------------------------------------------------

    async def run(self) -> int:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, self.stop_event.set)
        now = self.clock()
        if not self.instance.poll():
            if self.instance.error is not None:  # e.g. a read-only state directory: not a second serve
                where, error = self.instance.where, self.instance.error
                raise InputError(f"{where}: cannot take the instance lock: {error}")
            raise InputError(
                f"another sigap serve already runs on this ledger for probe {self.config.probe or '(none)'}: "
                "stop it first, or give this instance a probe label of its own"
            )
        self.prepare()
        self.mark_interrupted(now)
        self.plan(now)
        self._leader()
        if self.config.http.enabled:
            try:
                self._start_http()
            except InputError:
                self.leadership.release()
                self.instance.release()
                raise
        self.scheduler = self.schedule(now)
        heap.settle("start")
        self.scheduler.start()
        self._heartbeat()
        loops = [
            asyncio.create_task(self._every(1.0, self._heartbeat, "heartbeat")),
            asyncio.create_task(self._every(self.config.service.leader_retry_s, self._leader, "leader")),
            asyncio.create_task(self._every(self.config.service.sla_every_s, self._sla, "sla sweep")),
            asyncio.create_task(self._every(self.config.notify.poll_s, self._deliver, "notify")),
        ]
        if self.config.chat.telegram is not None or self.config.chat.whatsapp is not None:
            from ..chat.hub import build_chat  # httpx and the console's queries only when chat is on

            self.chat = build_chat(self.config, self.registry, self.engine, self.clock)
        if self.chat is not None:  # the bot's long poll, beside the notifier loop
            loops.append(asyncio.create_task(self.chat.run(self.stop_event, lambda: self.leadership.leading)))
        if self.config.report.auto_send and self.config.report.recipients:
            loops.append(
                asyncio.create_task(
                    self._every(self.config.report.check_every_s, self._report, "weekly report")
                )
            )
        interval = sdnotify.watchdog_interval_s()
        if interval:
            loops.append(asyncio.create_task(self._watchdog(interval)))
        enabled = [s for s in self.specs.values() if s.enabled]
        sdnotify.notify(f"READY=1\nSTATUS={len(enabled)} jobs scheduled")
        log.info(
            "service started jobs=%s probe=%s leader=%s",
            len(enabled),
            self.config.probe or "-",
            self.leadership.leading,
        )
        await self.stop_event.wait()
        await self.shutdown(loops)
        return 0

    async def shutdown(self, loops: list[asyncio.Task]) -> None:
        sdnotify.notify("STOPPING=1")
        log.info("service stopping running=%s", sorted(self.running))
        if self.scheduler is not None:
            self.scheduler.pause()  # no new runs from here on
        in_flight = list(self.running.values())
        if in_flight:
            _done, pending = await asyncio.wait(in_flight, timeout=self.config.service.stop_timeout_s)
            for task in pending:
                task.cancel()  # the runner records the run as cancelled
            if pending:
                await asyncio.wait(pending, timeout=2)
        if self.unrecorded:
            self._retry_writes()
        for _job, failed in self.unrecorded:
            # Their rows stay `running`; the next start marks them interrupted (this log says why).
            log.error("run not recorded runs=%s reason=%s", failed.run_ids, self.write_problem)
        # The outbox loop finishes the attempt in hand (its lease covers a kill here anyway).
        await asyncio.wait(loops, timeout=2)
        for task in loops:
            task.cancel()
        if self.scheduler is not None:
            self.scheduler.shutdown(wait=False)
        self.leadership.release()
        self.instance.release()
        if self.console is not None:
            self.console.stop()
        if self.http is not None:
            self.http.stop()
        if self.chat is not None:
            await self.chat.aclose()
        for check in {spec.check for spec in self.specs.values()}:
            for name, (_make, close) in kinds.get(check).resources.items():
                if name in self.resources:
                    close(self.resources.pop(name))
        log.info("service stopped")


@dataclass(frozen=True)
class LedgerFile:
    """The identity of a SQLite ledger's file at start (device, inode): a deleted or replaced file
    is noticed by the next heartbeat."""

    path: Path
    identity: tuple[int, int]

    @classmethod
    def of(cls, url: str) -> LedgerFile | None:
        parsed = make_url(url)
        if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
            return None
        path = Path(parsed.database).expanduser()
        try:
            st = path.stat()
        except OSError:
            return None  # made by the upgrade at start; prepare() stats it again
        return cls(path, (st.st_dev, st.st_ino))

    def problem(self) -> str | None:
        try:
            st = self.path.stat()
        except FileNotFoundError:
            return f"path={self.path} reason=file deleted"
        except OSError as exc:
            return f"path={self.path} reason={exc.strerror or exc}"
        if (st.st_dev, st.st_ino) != self.identity:
            return f"path={self.path} reason=file replaced"
        return None


def _run_info(run: StepRun) -> dict[str, Any]:
    return {
        "run_id": run.id,
        "status": run.status,
        "started_at": run.started_at.isoformat(),
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        "trigger": run.trigger,
    }
