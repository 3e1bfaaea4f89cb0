"""`sigap config`: check the config file, and show a step's layered settings with their origins."""

from __future__ import annotations

import click

from sop_registry.errors import InputError

from . import texts
from .common import Context, _json_out, bad_input_exits

# --- config --------------------------------------------------------------------------------------


@click.group("config")
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
