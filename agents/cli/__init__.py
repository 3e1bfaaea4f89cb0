"""The `sigap` command line.

Bad input (unknown SOP id, unreadable or invalid config, bad database URL) prints one line to
stderr and exits 2; the line names the file, key or argument.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from sop_registry.errors import InputError

from .. import kinds
from . import cases as cli_cases
from . import report as cli_report
from . import texts
from .common import Context, _json_out, bad_input_exits
from .sop_view import sop_as_dict, sop_text


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Config file (default: $SIGAP_CONFIG, else /etc/sigap/sigap.yaml).",
)
@click.option(
    "--lang",
    type=click.Choice(["id", "en"]),
    help="Language of what officers read (default: office.language).",
)
@click.version_option(package_name="sigap")
@click.pass_context
def cli(ctx: click.Context, config_path: Path | None, lang: str | None) -> None:
    """Sigap: the machine-checkable steps of Diskominfo SOPs as scheduled agents, with an SOP ledger."""
    ctx.obj = Context(config_path, lang)


# --- sop ---------------------------------------------------------------------------------------


@cli.group()
def sop() -> None:
    """The SOP registry: every SOP the agents and cases work from."""


@sop.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list of full SOP objects.")
@click.pass_obj
@bad_input_exits
def sop_list(obj: Context, as_json: bool) -> None:
    """List the SOPs in the registry."""
    registry = obj.registry()
    if as_json:
        _json_out([sop_as_dict(s) for s in registry.values()])
        return
    t = texts.get(obj.lang)
    click.echo(f"{t['col_id']:<28} {t['col_steps']:>6}  {t['col_auto']:>4}  {t['col_title']}")
    for item in registry.values():
        automated = sum(1 for s in item.steps if s.automation is not None)
        click.echo(f"{item.id:<28} {len(item.steps):>6}  {automated:>4}  {item.title}")
    click.echo(t["sop_count"].format(n=len(registry)))


@sop.command("show")
@click.argument("sop_id")
@click.option("--json", "as_json", is_flag=True, help="Print the SOP as a JSON object.")
@click.pass_obj
@bad_input_exits
def sop_show(obj: Context, sop_id: str, as_json: bool) -> None:
    """Show one SOP with its steps and time standards."""
    item = obj.registry()[sop_id]
    if as_json:
        _json_out(sop_as_dict(item))
    else:
        click.echo(sop_text(item, obj.lang))


# --- config --------------------------------------------------------------------------------------


@cli.group("config")
def config_group() -> None:
    """The operator's config file."""


@config_group.command("check")
@click.option("--json", "as_json", is_flag=True, help="Print the validated config, secrets masked.")
@click.pass_obj
@bad_input_exits
def config_check(obj: Context, as_json: bool) -> None:
    """Validate the config file (and its CSV imports) against the schema and the SOP registry."""
    config = obj.config()
    obj.registry()  # cross-checks agent overrides against the SOPs
    if as_json:
        data = config.model_dump(mode="json")
        data["database"]["url_effective"] = config.database_url_redacted()
        _json_out(data)
        return
    t = texts.get(obj.lang)
    office = config.office
    targets = config.targets
    click.echo(t["config_ok"].format(path=config.source_path))
    click.echo(t["config_office"].format(name=office.name, tz=office.timezone, label=office.zone_label))
    click.echo(t["config_db"].format(url=config.database_url_redacted()))
    click.echo(
        t["config_targets"].format(
            websites=len(targets.websites),
            servers=len(targets.servers),
            links=len(targets.links),
            devices=len(targets.snmp_devices),
            channels=len(config.notify.channels),
        )
    )


@config_group.command("effective")
@click.argument("step_ref", metavar="SOP[:STEP]")
@click.option("--json", "as_json", is_flag=True, help="Print {key: {value, from}} per step (and per target).")
@click.pass_obj
@bad_input_exits
def config_effective(obj: Context, step_ref: str, as_json: bool) -> None:
    """The layered settings of an SOP step, each value with the layer it came from."""
    from .. import kinds

    config = obj.config()
    registry = obj.registry()
    sop_id, _, step_text = step_ref.partition(":")
    if step_text and not step_text.isdigit():
        raise InputError(f"argument SOP[:STEP]: {step_ref!r}: STEP is a step number")
    from ..runner import resolve_step

    sop, steps = resolve_step(registry, sop_id, int(step_text) if step_text else None)
    out = []
    for no in steps:
        spec = kinds.get(sop.step(no).automation.check)
        base = spec.layered(config, sop, no)
        per_target = {t: mine.as_json() for t, mine in spec.target_layers(config, base).items()}
        settings = base.as_json()
        out.append({"sop": sop.id, "step": no, "check": spec.id, "settings": settings, "targets": per_target})
    if as_json:
        # One step: {key: {value, from}} (and per_target where a target's own layers change a value);
        # a whole SOP: the same per "SOP:STEP".
        shaped = {
            f"{e['sop']}:{e['step']}": e["settings"] | ({"per_target": e["targets"]} if e["targets"] else {})
            for e in out
        }
        _json_out(next(iter(shaped.values())) if step_text else shaped)
        return
    t = texts.get(obj.lang)
    for entry in out:
        click.echo(t["effective_header"].format(sop=entry["sop"], step=entry["step"], check=entry["check"]))
        for key, v in entry["settings"].items():
            click.echo(f"  {key:<28} {v['value']!s:<12} {v['from']}")
        for target, values in entry["targets"].items():
            click.echo(t["effective_target"].format(target=target))
            for key, v in values.items():
                if v != entry["settings"].get(key):
                    click.echo(f"    {key:<26} {v['value']!s:<12} {v['from']}")


# --- db ------------------------------------------------------------------------------------------


@cli.group()
def db() -> None:
    """The SOP ledger database."""


@db.command("upgrade")
@click.pass_obj
@bad_input_exits
def db_upgrade(obj: Context) -> None:
    """Apply database migrations (the service also does this at start)."""
    from sop_registry.ledger import connect, upgrade

    config = obj.config()
    engine = connect(config.database_url())
    try:
        before, after = upgrade(engine)
    finally:
        engine.dispose()
    t = texts.get(obj.lang)
    click.echo(t["db_upgraded"].format(url=config.database_url_redacted(), before=before or "-", after=after))


@db.command("status")
@click.pass_obj
@bad_input_exits
def db_status(obj: Context) -> None:
    """Show the ledger's schema revision and whether migrations are pending."""
    from sop_registry.ledger import connect, current_revision, head_revision

    config = obj.config()
    engine = connect(config.database_url())
    try:
        current = current_revision(engine)
    finally:
        engine.dispose()
    head = head_revision()
    t = texts.get(obj.lang)
    click.echo(t["db_status"].format(current=current or "-", head=head))
    if current != head:
        sys.exit(1)


@cli.group()
def check() -> None:
    """Run one check now and print what it measured (nothing is recorded)."""


@cli.command("run")
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


@cli.command("serve")
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
for _spec in kinds.KINDS.values():
    if _spec.check_command is not None:
        check.add_command(_spec.check_command)

for _group in (cli_cases.case, cli_cases.maintenance, cli_cases.notify, cli_report.report):
    cli.add_command(_group)


def main() -> None:
    cli(prog_name="sigap")


if __name__ == "__main__":
    main()
