"""Pemeliharaan and Pengguna: the maintenance windows and the console's users, changed by the same
rules as `sigap maintenance add|list|remove` and `sigap user add|list|disable` (the same checks,
the same rows; a window is ended by marking it removed, kept so a report can say why an alert was
held)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sop_registry.errors import InputError
from sop_registry.ledger.models import MaintenanceWindow, User

from ..cli.cases import parse_local
from ..cli.maintenance import _days
from ..cli.user import _known_opds, _known_pelaksana
from . import accounts
from .web import Ctx, NotFound


def windows(db: Session) -> list[MaintenanceWindow]:
    return list(
        db.scalars(
            select(MaintenanceWindow)
            .where(MaintenanceWindow.removed_at.is_(None))
            .order_by(MaintenanceWindow.id.desc())
        )
    )


def add_window(ctx: Ctx, now: datetime) -> MaintenanceWindow:
    config = ctx.console.config
    target = ctx.field("target", 512) or "*"
    sop_id = ctx.field("sop", 64)
    if sop_id and sop_id not in ctx.console.registry.sops:
        raise InputError(f"sop: unknown SOP id {sop_id!r}")
    window = MaintenanceWindow(
        target=target,
        sop_id=sop_id,
        reason=ctx.field("reason", 500),
        created_by=ctx.viewer.display_name,
        created_at=now,
    )
    if ctx.field("kind", 10) == "weekly":
        every, at_time, minutes = ctx.field("every", 40), ctx.field("at", 5), ctx.field("minutes", 6)
        if not every or not at_time or not minutes or not minutes.isdigit() or int(minutes) <= 0:
            raise InputError("every: a weekly window needs days, a start time HH:MM and minutes")
        try:
            datetime.strptime(at_time, "%H:%M")
        except ValueError:
            raise InputError(f"at: expected HH:MM, got {at_time!r}") from None
        window.days, window.start_time, window.duration_minutes = _days(every), at_time, int(minutes)
    else:
        start, end = ctx.field("start", 40), ctx.field("end", 40)
        if not start or not end:
            raise InputError("start: a one-off window needs a start and an end")
        window.starts_at = parse_local(start, config, "start")
        window.ends_at = parse_local(end, config, "end")
        if window.ends_at <= window.starts_at:
            raise InputError("end: must be after the start")
    ctx.db.add(window)
    ctx.db.flush()
    return window


def end_window(db: Session, window_id: int, now: datetime) -> None:
    window = db.get(MaintenanceWindow, window_id)
    if window is None or window.removed_at is not None:
        raise NotFound(window_id)
    window.removed_at = now


def users(db: Session) -> list[User]:
    return list(db.scalars(select(User).order_by(User.name)))


def add_user(ctx: Ctx, now: datetime) -> User:
    form = ctx.form
    config, registry = ctx.console.config, ctx.console.registry
    opds = tuple(v.strip() for v in form.getlist("opd") if isinstance(v, str) and v.strip())[:50]
    acts = tuple(v.strip() for v in (ctx.field("acts_as", 1000) or "").split(",") if v.strip())
    new = accounts.check_new_user(
        accounts.NewUser(
            ctx.field("name", 64) or "",
            ctx.field("role", 16) or "",
            ctx.field("display_name", 128),
            opds,
            acts,
            ctx.field("email", 254),
            ctx.field("phone", 32),
            ctx.field("telegram_id", 32),
        ),
        known_opds=_known_opds(config),
        known_pelaksana=_known_pelaksana(registry.sops),
    )
    password = accounts.check_password(form.get("password") or "", "password")
    if password != form.get("password2"):
        raise InputError("password: the two passwords differ")
    if accounts.find_user(ctx.db, new.name) is not None:
        raise InputError(f"name: user {new.name!r} already exists")
    return accounts.add_user(ctx.db, new, password, now)


def set_disabled(ctx: Ctx, name: str, disabled: bool, now: datetime) -> int:
    user = accounts.find_user(ctx.db, name)
    if user is None:
        raise NotFound(name)
    if disabled and user.id == ctx.viewer.user_id:
        raise InputError("an admin cannot disable itself (another admin, or sigap user disable, can)")
    return accounts.set_disabled(ctx.db, user, disabled, now)


def reset_totp(ctx: Ctx, name: str, now: datetime) -> bool:
    """The admin's reset of a user's second factor, as `sigap user totp NAME --disable`."""
    from . import totp

    user = accounts.find_user(ctx.db, name)
    if user is None:
        raise NotFound(name)
    if not (user.totp_secret or user.totp_pending):
        raise InputError(f"user {name!r} has no two-step verification to reset")
    return totp.disable(user, now)


def known(ctx: Ctx) -> dict[str, Any]:
    return {
        "known_opds": sorted(_known_opds(ctx.console.config)),
        "sop_ids": [s.id for s in ctx.console.config.selected_sops(ctx.console.registry)],
        "roles": accounts.ROLES,
    }
