"""`sigap notify`: the SLA clock and the outbox by hand (the service does this itself)."""

from __future__ import annotations

import sys

import click
from sqlalchemy import select
from sqlalchemy.orm import Session

from sop_registry.ledger.models import Notification

from .cases import _ledger
from .common import Context, _json_out, bad_input_exits


@click.group()
def notify() -> None:
    """The notification outbox."""


@notify.command("run")
@click.option("--once", is_flag=True, help="One SLA sweep and one delivery round, then exit.")
@click.pass_obj
@bad_input_exits
def notify_run(obj: Context, once: bool) -> None:
    """Keep the SLA clock and send the outbox until stopped (the service does this itself)."""
    import asyncio
    import logging

    from ..notify.service import run_notifier

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s %(message)s", stream=sys.stderr)
    with _ledger(obj) as (config, engine):
        asyncio.run(run_notifier(engine, config, obj.registry(), once=once))


@notify.command("list")
@click.option("--json", "as_json", is_flag=True)
@click.option("--status", help="Only this status (pending, sent, dead, ...).")
@click.pass_obj
@bad_input_exits
def notify_list(obj: Context, as_json: bool, status: str | None) -> None:
    with _ledger(obj, read_only=True) as (_config, engine), Session(engine) as session:
        query = select(Notification).order_by(Notification.id)
        if status:
            query = query.where(Notification.status == status)
        rows = [
            {
                "id": n.id,
                "created_at": n.created_at.isoformat(),
                "kind": n.kind,
                "role": n.role,
                "recipient": (n.recipient or {}).get("email"),  # a target's own contact, if it is one
                "cases": n.case_ids,
                "status": n.status,
                "attempts": n.attempts,
                "sent_via": n.sent_via,
                "sent_at": n.sent_at.isoformat() if n.sent_at else None,
                "last_error": n.last_error,
                "title": n.message.get("id", {}).get("title"),
            }
            for n in session.scalars(query)
        ]
    if as_json:
        _json_out(rows)
        return
    for r in rows:
        click.echo(
            f"#{r['id']}\t{r['status']}\t{r['kind']}\t{r['role']}\t{r['sent_via'] or '-'}\t{r['title']}"
        )
