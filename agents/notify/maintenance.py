"""Maintenance windows: planned work holds notifications back; the checks and cases go on.

One-off windows are stored in UTC; weekly ones ("every Sunday 22:00 for 4 hours") in office time,
so a window set in WITA stays at 22:00 WITA whatever the server's zone.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from fnmatch import fnmatchcase
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from sop_registry.ledger.models import MaintenanceWindow
from sop_registry.schema import WEEKDAYS


def current_windows(session: Session) -> list[MaintenanceWindow]:
    return list(session.scalars(select(MaintenanceWindow).where(MaintenanceWindow.removed_at.is_(None))))


def covers(window: MaintenanceWindow, at: datetime, zone: ZoneInfo) -> bool:
    if window.starts_at is not None:
        return window.starts_at <= at < (window.ends_at or window.starts_at)
    if not window.days or not window.start_time or not window.duration_minutes:
        return False
    local = at.astimezone(zone)
    length = timedelta(minutes=window.duration_minutes)
    starts = time.fromisoformat(window.start_time)
    # A window that began on an earlier day may still be running (Sunday 22:00 for 4 hours).
    for back in range(length.days + 2):
        day = local.date() - timedelta(days=back)
        if WEEKDAYS[day.weekday()] not in window.days:
            continue
        begin = datetime.combine(day, starts, tzinfo=zone)
        if begin <= local < begin + length:
            return True
    return False


def matches(window: MaintenanceWindow, target: str, sop_id: str) -> bool:
    return fnmatchcase(target, window.target) and window.sop_id in (None, sop_id)


def window_for(
    windows: list[MaintenanceWindow], target: str, sop_id: str, at: datetime, zone: ZoneInfo
) -> MaintenanceWindow | None:
    return next((w for w in windows if matches(w, target, sop_id) and covers(w, at, zone)), None)
