"""`sigap run` (one SOP's agent now) and `sigap serve` (every agent on schedule, the systemd service)."""

from __future__ import annotations

import sys

import click

from sop_registry.errors import InputError

from . import texts
from .common import Context, bad_input_exits


@click.command("run")
@click.argument("sop_id")
@click.option("--step", "step_no", type=int, help="Run only this step (default: every automated step).")
@click.option(
    "--once", is_flag=True, help="Run now in the foreground and exit (the service runs on schedule)."
)
@click.pass_obj
@bad_input_exits
def run_cmd(obj: Context, sop_id: str, step_no: int | None, once: bool) -> None:
    """Run an SOP's agent now, record the step run and open/resolve cases."""
    import asyncio
    import logging

    from sop_registry.ledger import connect, upgrade

    from ..runner import resolve_step, run_step
    from ..service.jobs import build_jobs

    if not once:
        raise InputError(
            "option --once is required: 'sigap run' runs one agent now; 'sigap serve' runs the schedule"
        )
    config = obj.config()
    registry = obj.registry()
    sop, steps = resolve_step(registry, sop_id, step_no)
    if sop.id not in {s.id for s in config.selected_sops(registry)}:
        raise InputError(f"argument SOP_ID: {sop.id} is not one of this office's sops (config key sops)")
    # A step that shares its measurement with others runs as that one job: one crawl, one case per
    # target, a step run for each step.
    jobs = {step: job for job in build_jobs(registry, config) for step in job.steps}
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s %(message)s", stream=sys.stderr)
    engine = connect(config.database_url())
    t = texts.get(obj.lang)
    worst = 0
    done: set[str] = set()
    try:
        upgrade(engine)
        for no in steps:
            job = jobs.get((sop.id, no))
            lead_sop, lead_no, shared = sop, no, []
            if job is not None:
                if job.id in done:
                    continue
                done.add(job.id)
                lead_sop, lead_no = registry[job.sop_id], job.step_no
                shared = [(registry[s], n) for s, n in job.shared]
            result = asyncio.run(
                run_step(config, engine, lead_sop, lead_no, registry=registry, shared=shared)
            )
            click.echo(
                t["run_done"].format(
                    sop=sop.id,
                    step=no,
                    run=result.run_id,
                    status=result.status,
                    summary=result.summary or "-",
                    output=result.output_ref or "-",
                    opened=result.cases_opened,
                    updated=result.cases_updated,
                    resolved=result.cases_resolved,
                )
            )
            worst = max(worst, 1 if result.status == "error" else 0)
    finally:
        engine.dispose()
    sys.exit(worst)


@click.command("serve")
@click.option(
    "--dry-run", is_flag=True, help="Show the jobs, their next times and what a start would catch up; exit."
)
@click.pass_obj
@bad_input_exits
def serve_cmd(obj: Context, dry_run: bool) -> None:
    """Run every agent on its SOP's schedule, the SLA clock and the notifications (the systemd service)."""
    import asyncio
    import logging

    from sop_registry.ledger import connect

    from ..service import logs
    from ..service.serve import Service

    config = obj.config()
    registry = obj.registry()
    logs.setup(logs.secret_values(config), level=logging.WARNING if dry_run else logging.INFO)
    engine = connect(config.database_url())
    service = Service(config, registry, engine)
    try:
        if dry_run:
            _print_plan(service, obj.lang)
            return
        code = asyncio.run(service.run())
    finally:
        engine.dispose()
    sys.exit(code)


def _print_plan(service, lang: str) -> None:
    from datetime import UTC, datetime

    from sqlalchemy.orm import Session

    config = service.config
    now = datetime.now(UTC)
    t = texts.get(lang)
    click.echo(t["serve_header"])
    for spec in service.prepare():
        if spec.id in service.idle:
            click.echo(f"{spec.id:<48} {spec.check:<15} {'-':<22} {t['serve_idle']}")
            continue
        with Session(service.engine) as session:
            trigger, plan = service.owed(session, spec, now)
        nxt = now if plan.run_now else trigger.get_next_fire_time(None, now)
        when = config.office.local_text(nxt) if nxt else "-"
        note = t["serve_disabled"] if not spec.enabled else ""
        if spec.shared:
            note += t["serve_shared"].format(steps=", ".join(f"{s}:{n}" for s, n in spec.shared))
        if plan.run_due is not None:
            note += t["serve_catch_up"].format(due=config.office.local_text(plan.run_due))
        if plan.skipped:
            note += t["serve_skipped"].format(n=len(plan.skipped))
        click.echo(f"{spec.id:<48} {spec.check:<15} {when:<22} {note}".rstrip())


# Each kind's `sigap check <name>` comes from its module (agents/kinds/), not from here.
