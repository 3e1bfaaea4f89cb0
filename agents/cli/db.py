"""`sigap db`: the ledger's migrations."""

from __future__ import annotations

import sys

import click

from sop_registry.errors import InputError

from . import texts
from .common import Context, bad_input_exits

# --- db ------------------------------------------------------------------------------------------


@click.group()
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
    try:
        engine = connect(config.database_url(), create=False)
    except InputError as exc:  # no ledger yet: every migration is pending, and none is made here
        click.echo(str(exc), err=True)
        current = None
    else:
        try:
            current = current_revision(engine)
        finally:
            engine.dispose()
    head = head_revision()
    t = texts.get(obj.lang)
    click.echo(t["db_status"].format(current=current or "-", head=head))
    if current != head:
        sys.exit(1)
