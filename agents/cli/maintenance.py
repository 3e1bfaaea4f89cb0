"""`sigap maintenance`: windows in which notifications are held back (measurements and cases go on)."""

from __future__ import annotations

from datetime import datetime

import click
from sqlalchemy import select
from sqlalchemy.orm import Session

from sop_registry.errors import InputError
from sop_registry.ledger.models import MaintenanceWindow
from sop_registry.schema import WEEKDAYS

from ..notify.messages import local_time
from .cases import _actor, _ledger, _now, parse_local
from .common import Context, _json_out, bad_input_exits


@click.group()
def maintenance() -> None:
    """Maintenance windows: notifications held back, measurements go on."""


def _days(text: str) -> list[str]:
    days = [d.strip().lower()[:3] for d in text.split(",") if d.strip()]
    bad = [d for d in days if d not in WEEKDAYS]
    if not days or bad:
        raise InputError(f"option --every: unknown day(s) {bad or text!r} (use mon,tue,...,sun)")
    return days


@maintenance.command("add")
@click.option("--target", default="*", show_default=True, help="Target id or glob (opd-*).")
@click.option("--sop", "sop_id", help="Only this SOP's cases.")
@click.option("--start", help="One-off: from (office time, YYYY-MM-DD HH:MM).")
@click.option("--end", help="One-off: until.")
@click.option("--every", help="Weekly: days (sun or mon,wed).")
@click.option("--at", "at_time", help="Weekly: start time HH:MM (office time).")
@click.option("--minutes", type=int, help="Weekly: length in minutes.")
@click.option("--reason")
@click.option("--by", help="Who sets it (default: the user of sigap login, else operator).")
@click.pass_obj
@bad_input_exits
def maintenance_add(
    obj: Context,
    target: str,
    sop_id: str | None,
    start: str | None,
    end: str | None,
    every: str | None,
    at_time: str | None,
    minutes: int | None,
    reason: str | None,
    by: str | None,
) -> None:
    if sop_id and sop_id not in obj.registry().sops:
        raise InputError(f"option --sop: unknown SOP id {sop_id!r}")
    with _ledger(obj) as (config, engine), Session(engine) as session:
        by = _actor(config, session, by, "maintenance")
        window = MaintenanceWindow(
            target=target, sop_id=sop_id, reason=reason, created_by=by, created_at=_now()
        )
        if every:
            if start or end:
                raise InputError("option --every: give either --start/--end or --every/--at/--minutes")
            if not at_time or not minutes or minutes <= 0:
                raise InputError("option --every: needs --at HH:MM and --minutes N")
            try:
                datetime.strptime(at_time, "%H:%M")
            except ValueError:
                raise InputError(f"option --at: expected HH:MM, got {at_time!r}") from None
            window.days, window.start_time, window.duration_minutes = _days(every), at_time, minutes
        else:
            if not start or not end:
                raise InputError("option --start: a one-off window needs --start and --end")
            window.starts_at = parse_local(start, config, "--start")
            window.ends_at = parse_local(end, config, "--end")
            if window.ends_at <= window.starts_at:
                raise InputError("option --end: must be after --start")
        session.add(window)
        session.commit()
        click.echo(f"maintenance #{window.id}: {target}")


@maintenance.command("list")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
@bad_input_exits
def maintenance_list(obj: Context, as_json: bool) -> None:
    with _ledger(obj, read_only=True) as (config, engine), Session(engine) as session:
        rows = [
            {
                "id": w.id,
                "target": w.target,
                "sop": w.sop_id,
                "starts_at": w.starts_at.isoformat() if w.starts_at else None,
                "ends_at": w.ends_at.isoformat() if w.ends_at else None,
                "days": w.days,
                "start_time": w.start_time,
                "duration_minutes": w.duration_minutes,
                "reason": w.reason,
                "created_by": w.created_by,
            }
            for w in session.scalars(select(MaintenanceWindow).where(MaintenanceWindow.removed_at.is_(None)))
        ]
    if as_json:
        _json_out(rows)
        return
    for r in rows:
        if r["days"]:
            when = f"{','.join(r['days'])} {r['start_time']} +{r['duration_minutes']} min"
        else:
            when = (
                f"{local_time(datetime.fromisoformat(r['starts_at']), config.office, obj.lang)} - "
                f"{local_time(datetime.fromisoformat(r['ends_at']), config.office, obj.lang)}"
            )
        click.echo(f"#{r['id']}\t{r['target']}\t{r['sop'] or '*'}\t{when}\t{r['reason'] or ''}")


@maintenance.command("remove")
@click.argument("window_id", metavar="ID", type=int)
@click.pass_obj
@bad_input_exits
def maintenance_remove(obj: Context, window_id: int) -> None:
    with _ledger(obj) as (_config, engine), Session(engine) as session:
        window = session.get(MaintenanceWindow, window_id)
        if window is None or window.removed_at is not None:
            raise InputError(f"argument ID: no maintenance window #{window_id}")
        window.removed_at = _now()  # kept, so a report can show why an alert was held
        session.commit()


# --- notify ------------------------------------------------------------------------------------------
