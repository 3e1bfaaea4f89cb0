"""`sigap sop`: the SOPs of the registry."""

from __future__ import annotations

import click

from . import texts
from .common import Context, _json_out, bad_input_exits
from .sop_view import sop_as_dict, sop_text

# --- sop ---------------------------------------------------------------------------------------


@click.group()
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
