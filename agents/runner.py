"""Run one automated SOP step: check -> evaluate -> record the step run -> open/resolve cases.

Checks measure; the runner catches: an exception inside an agent becomes a step run with status
`error` and its reason, never a dead scheduler. The step run is committed as `running` first, so a
crash leaves evidence that the step started.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, insert, select
from sqlalchemy.exc import InternalError, OperationalError
from sqlalchemy.orm import Session

from checks.finding import INTERNAL_ERROR, worst
from sop_registry.errors import InputError
from sop_registry.ledger import records
from sop_registry.ledger.cases import open_or_update, record_good
from sop_registry.ledger.models import OPEN_CASE_STATES, Case, CheckState, Sample, StepRun
from sop_registry.ledger.store import begin_step_run, finish_step_run
from sop_registry.loader import Registry, load_registry
from sop_registry.schema import Automation, Schedule, Sop

from . import kinds
from .config import Config
from .config.layers import SOP, Layer, defaults
from .kinds import RunContext
from .notify.outbox import Alert, enqueue, roles_for
from .outcome import AgentOutcome

log = logging.getLogger("sigap.runner")


def check_binding(sop_id: str, step_no: int, automation: Automation) -> None:
    """A step's automation must name a known kind and limits that kind understands."""
    where = f"{sop_id} step {step_no}: automation"
    spec = kinds.get(automation.check, f"{where}.check")
    defaults(spec.settings).over(
        [Layer(SOP, dict(automation.thresholds), f"{where}.thresholds")]
    ).settings(f"{where}.thresholds")


# What a ledger that cannot be written raises: SQLite's "database or disk is full" and "attempt to
# write a readonly database", PostgreSQL's DiskFull (OperationalError) and read-only transactions
# (InternalError). Not IntegrityError and the like: those are bugs, and retrying would not help.
WRITE_FAILURES = (OperationalError, InternalError)


def write_failure_reason(exc: BaseException) -> str:
    """The database's own words, one line: 'database or disk is full'."""
    cause = getattr(exc, "orig", None) or exc
    text = (str(cause).strip().splitlines() or [type(cause).__name__])[0]
    return text[:300]


class LedgerWriteFailed(Exception):
    """The ledger refused a write (disk full, read-only). `retry` records what was measured, once
    writes work again; None when nothing was measured (the run could not even be begun)."""

    def __init__(self, reason: str, run_ids: Sequence[int], retry: Callable[[], StepResult] | None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.run_ids = list(run_ids)
        self.retry = retry


@dataclass(frozen=True)
class StepResult:
    sop_id: str
    step_no: int
    run_id: int
    status: str
    summary: str | None
    output_ref: str | None
    cases_opened: int
    cases_updated: int
    cases_resolved: int


def automation_targets(sop: Sop, step_no: int) -> str | None:
    automation = sop.step(step_no).automation
    return automation.targets if automation else None


def resolve_step(registry: Registry, sop_id: str, step_no: int | None) -> tuple[Sop, list[int]]:
    sop = registry.sops.get(sop_id)
    if sop is None:
        raise InputError(f"argument SOP_ID: unknown SOP id {sop_id!r}")
    steps = kinds.automated_steps(sop)
    if step_no is None:
        if not steps:
            raise InputError(
                f"argument SOP_ID: {sop_id} has no automated step; track it with 'sigap case open'"
            )
        return sop, steps
    if step_no not in {s.no for s in sop.steps}:
        raise InputError(f"option --step: {sop_id} has no step {step_no}")
    if step_no not in steps:
        raise InputError(f"option --step: {sop_id} step {step_no} is a human step (no automation)")
    return sop, [step_no]


@dataclass(frozen=True)
class Override:
    """The config's `agents` entries for one step: the SOP's, then the step's own, which wins.
    (Their `thresholds` are a layer of the kind's settings: `KindSpec.layered`.)"""

    enabled: bool
    schedule: Schedule | None


def step_override(config: Config, sop_id: str, step_no: int) -> Override:
    enabled, schedule = True, None
    for key in (sop_id, f"{sop_id}:{step_no}"):  # the step's own entry wins over the SOP's
        entry = config.agents.get(key)
        if entry is not None:
            enabled = entry.enabled
            schedule = entry.schedule or schedule
    return Override(enabled, schedule)


def output_path(config: Config, sop_id: str, step_no: int, at: datetime) -> Path:
    return config.resolved_state_dir / "outputs" / sop_id / f"step-{step_no}" / f"{at:%Y%m%dT%H%M%SZ}.csv"


async def run_step(
    config: Config,
    engine: Engine,
    sop: Sop,
    step_no: int,
    *,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    trigger: str = "manual",
    due_at: datetime | None = None,
    registry: Registry | None = None,
    resources: dict[str, Any] | None = None,
    observe: Callable[[str, AgentOutcome], None] | None = None,
    shared: Sequence[tuple[Sop, int]] = (),
) -> StepResult:
    """`resources`: long-lived things the service lends the kind (the SNMP engine);
    `observe(check, outcome)`: called with what the kind measured (the service's metrics);
    `shared`: other SOPs' steps that ask the same question of the same targets on the same schedule.
    This step measures and routes the cases; each shared step gets a step run that points at it."""
    automation = sop.step(step_no).automation
    assert automation is not None
    check_binding(sop.id, step_no, automation)
    spec = kinds.get(automation.check)
    override = step_override(config, sop.id, step_no)
    layered = spec.layered(config, sop, step_no)
    settings = layered.settings()
    started = clock()
    steps = [(sop, step_no), *shared]
    # The ledger's reads and writes run in a worker thread: the event loop goes on probing links
    # (a 1,000-link round's findings and samples held the loop for a quarter of a second).
    try:
        run_ids = await asyncio.to_thread(
            _begin, engine, config, steps, automation, started, trigger, due_at, override.enabled
        )
    except WRITE_FAILURES as exc:
        raise LedgerWriteFailed(write_failure_reason(exc), [], None) from exc
    if not override.enabled:
        return StepResult(sop.id, step_no, run_ids[0], "skipped", None, None, 0, 0, 0)
    run_id = run_ids[0]
    log.info(
        "step started sop=%s step=%s target=%s run=%s trigger=%s shared=%s",
        sop.id,
        step_no,
        automation.targets,
        run_id,
        trigger,
        ",".join(f"{s.id}:{no}" for s, no in shared) or "-",
    )
    try:
        memory = await asyncio.to_thread(load_memory, engine, automation.check)
        ctx = RunContext(
            config=config,
            settings=settings,
            layered=layered,
            now=started,
            output_path=output_path(config, sop.id, step_no, started),
            memory=memory,
            resources=resources or {},
        )
        outcome = await spec.run(ctx)
    except asyncio.CancelledError:
        # The service is stopping and the run did not finish in time: record that, so the step is
        # not taken as done (the next start runs it again) and no `running` row is left behind.
        log.info("step cancelled sop=%s step=%s run=%s", sop.id, step_no, run_id)
        with contextlib.suppress(*WRITE_FAILURES):  # nothing to keep: the next start runs it again
            _fail(engine, run_ids, clock(), "cancelled: service stopping before the run finished")
        raise
    except Exception as exc:
        log.exception("step failed sop=%s step=%s run=%s", sop.id, step_no, run_id)
        failed = StepResult(sop.id, step_no, run_id, "error", None, None, 0, 0, 0)
        reason, at = f"{type(exc).__name__}: {exc}", clock()

        def record_failure() -> StepResult:
            _fail(engine, run_ids, at, reason)
            return failed

        return await asyncio.to_thread(_kept, record_failure, run_ids)
    if outcome.output_ref == str(ctx.output_path) and not ctx.output_path.exists():
        outcome = dataclasses.replace(outcome, output_ref=None)  # not written (logged): point at nothing
    if observe is not None:
        observe(automation.check, outcome)
    case_sops = _case_sops(outcome, sop, registry, config)
    evidence = list(zip(steps[1:], run_ids[1:], strict=True))
    at = clock()
    return await asyncio.to_thread(
        _kept,
        lambda: _record(
            engine, config, sop, step_no, run_id, outcome, at, automation.check, case_sops, evidence
        ),
        run_ids,
    )


def _kept(record: Callable[[], StepResult], run_ids: list[int]) -> StepResult:
    """Record now; if the ledger refuses the write, hand what was measured to the caller, who keeps
    it and calls it again once writes work (a disk full on Monday morning must not lose the crawl).
    Everything is written in one transaction, so a retry never writes half of it twice."""
    try:
        return record()
    except WRITE_FAILURES as exc:
        raise LedgerWriteFailed(write_failure_reason(exc), run_ids, record) from exc


def _begin(
    engine: Engine,
    config: Config,
    steps: Sequence[tuple[Sop, int]],
    automation: Automation,
    started: datetime,
    trigger: str,
    due_at: datetime | None,
    enabled: bool,
) -> list[int]:
    """The step runs, committed as `running` (or `skipped` when the step is disabled in config)."""
    sop = steps[0][0]
    with Session(engine) as session:
        runs = [
            begin_step_run(
                session,
                s,
                no,
                started_at=started,
                agent=automation.check,
                target_group=automation.targets,
                probe=config.probe,
                trigger=trigger,
                due_at=due_at,
            )
            for s, no in steps
        ]
        if not enabled:
            for run in runs:
                finish_step_run(
                    session,
                    run,
                    finished_at=started,
                    status="skipped",
                    reason=f"disabled in config (agents.{sop.id})",
                )
        session.commit()
        return [run.id for run in runs]


def _fail(engine: Engine, run_ids: list[int], at: datetime, reason: str) -> None:
    with Session(engine) as session:
        for run_id in run_ids:
            run = session.get(StepRun, run_id)
            finish_step_run(session, run, finished_at=at, status="error", reason=reason)
        session.commit()


def _case_sops(outcome: AgentOutcome, sop: Sop, registry: Registry | None, config: Config) -> dict[str, Sop]:
    """The SOPs whose cases the outcome touches: the step's own, and any an intent routes to."""
    sops = {sop.id: sop}
    wanted = {i.sop_id for i in outcome.cases if i.sop_id and i.sop_id != sop.id}
    if wanted:
        registry = registry or load_registry(config.sop_dirs)
        for sop_id in wanted:
            sops[sop_id] = registry[sop_id]
    return sops


def load_memory(engine: Engine, kind: str) -> dict[str, dict[str, Any]]:
    with Session(engine) as session:
        return {
            row.key: row.data for row in session.scalars(select(CheckState).where(CheckState.kind == kind))
        }


def _lead_finding(outcome: AgentOutcome, target: str) -> dict[str, Any] | None:
    """The worst finding about a target: what a notification says failed, with value and limit."""
    mine = [f for f in outcome.findings if f.target == target]
    if not mine:
        return None
    status = worst(f.status for f in mine)
    lead = next(f for f in mine if f.status == status)
    return records.LeadFinding(
        code=lead.code,
        status=lead.status,
        message_id=lead.message_id,
        message_en=lead.message_en,
        observed=lead.observed,
        limit=lead.limit,
    ).as_json()


def _record(
    engine: Engine,
    config: Config,
    sop: Sop,
    step_no: int,
    run_id: int,
    outcome: AgentOutcome,
    at: datetime,
    kind: str,
    case_sops: dict[str, Sop],
    evidence: Sequence[tuple[tuple[Sop, int], int]] = (),
) -> StepResult:
    opened = updated = resolved = 0
    policy = config.case_policy()
    alerts: list[Alert] = []
    # Findings, the run's status, what the check remembers, its samples, the case changes and the
    # notifications they cause: one transaction, so a crash never leaves a state that belongs to a
    # run that is not recorded, nor a case change nobody will be told about.
    with Session(engine) as session:
        run = session.get(StepRun, run_id)
        finish_step_run(
            session,
            run,
            finished_at=at,
            findings=outcome.findings,
            summary=outcome.summary,
            output_kind=outcome.output_kind,
            output_ref=outcome.output_ref,
            details=outcome.details,
        )
        also = [f"{other.id}:{no}" for (other, no), _ in evidence]
        for _step, other_id in evidence:
            # The same measurement is the evidence of each step that asks the same question; the
            # findings stay with the run that measured, so a report counts the crawl once.
            shared = session.get(StepRun, other_id)
            shared.measured_by_run_id = run_id
            finish_step_run(
                session,
                shared,
                finished_at=at,
                status=run.status,
                summary=outcome.summary,
                output_kind=outcome.output_kind,
                output_ref=outcome.output_ref,
                details=records.SharedRunDetails(
                    measured_by=records.MeasuredBy(run_id=run_id, sop=sop.id, step=step_no)
                ).as_json(),
            )
        # One query for the kind's states, not a SELECT per target (1,000 links every minute).
        stored = {row.key: row for row in session.scalars(select(CheckState).where(CheckState.kind == kind))}
        for key, data in outcome.states.items():
            row = stored.get(key)
            if row is None:
                session.add(CheckState(kind=kind, key=key, data=data, updated_at=at))
            else:
                row.data, row.updated_at = data, at
        # Good checks matter only where a case is open: look those up once.
        open_keys = set(
            session.execute(
                select(Case.sop_id, Case.step_no, Case.target).where(Case.state.in_(OPEN_CASE_STATES))
            ).all()
        )
        if outcome.samples:
            session.execute(
                insert(Sample),
                [{"series": series, "at": when, "value": value} for series, when, value in outcome.samples],
            )
        # A target whose check failed with a bug (internal_error) was not measured: its case is
        # neither opened (the OPD did nothing wrong) nor resolved (nothing showed it is fixed).
        unmeasured = {f.target for f in outcome.findings if f.code == INTERNAL_ERROR}
        for intent in outcome.cases:
            if intent.target in unmeasured:
                continue
            case_sop = case_sops[intent.sop_id or sop.id]
            case_step = intent.step_no or step_no
            if intent.failing:
                data = {
                    **(intent.data or {}),
                    "step_run_id": run_id,
                    "finding": _lead_finding(outcome, intent.target),
                    **({"also_steps": also} if also else {}),
                }
                change = open_or_update(
                    session,
                    case_sop,
                    case_step,
                    intent.target,
                    title=intent.title,
                    at=at,
                    role=intent.role,
                    policy=policy,
                    source=kind,
                    data=data,
                )
                opened += change.kind in ("opened", "reopened")
                updated += change.kind == "failed_again"
            elif (case_sop.id, case_step, intent.target) not in open_keys:
                continue
            else:
                change = record_good(
                    session,
                    case_sop.id,
                    case_step,
                    intent.target,
                    at=at,
                    note=intent.note,
                    policy=policy,
                    source=kind,
                    data={"step_run_id": run_id},
                )
                if change is None:
                    continue
                resolved += change.kind == "resolved"
            if change.kind in ("opened", "reopened", "resolved"):
                alerts.append(Alert(change.kind, change.case, roles_for(change.case), change.data))
                log.info(
                    "case %s sop=%s step=%s target=%s case=%s",
                    change.kind,
                    case_sop.id,
                    case_step,
                    intent.target,
                    change.case.id,
                )
        enqueue(session, alerts, at, config, case_sops)
        session.commit()
        status = run.status
    log.info(
        "step finished sop=%s step=%s target=%s run=%s status=%s summary=%r",
        sop.id,
        step_no,
        automation_targets(sop, step_no),
        run_id,
        status,
        outcome.summary,
    )
    return StepResult(
        sop.id, step_no, run_id, status, outcome.summary, outcome.output_ref, opened, updated, resolved
    )
