"""A site's twelve-week strip: its status in each weekly crawl, in office weeks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from sop_registry.ledger import records
from sop_registry.ledger.models import StepRun

HISTORY_WEEKS = 12


@dataclass
class WeekCell:
    week: str  # ISO week in office time, "2026-W48"
    monday: date
    status: str | None  # the week's newest crawl's status for the site; None: no crawl, or not in it
    age_days: int | None = None


def site_history(db: Session, url: str, now: datetime, zone: ZoneInfo) -> list[WeekCell]:
    """The site's status in each of the last twelve weeks (office time), oldest first: the newest
    crawl of each week that had the site in its recap."""
    local = now.astimezone(zone).date()
    first = local - timedelta(days=local.weekday(), weeks=HISTORY_WEEKS - 1)
    cells: dict[tuple[int, int], WeekCell] = {}
    for i in range(HISTORY_WEEKS):
        monday = first + timedelta(weeks=i)
        year, week, _ = monday.isocalendar()
        cells[year, week] = WeekCell(f"{year}-W{week:02d}", monday, None)
    since = datetime.combine(first, datetime.min.time(), zone)
    runs = db.execute(
        select(StepRun.started_at, StepRun.details)
        .where(
            StepRun.agent == records.WEB_FRESHNESS,
            StepRun.measured_by_run_id.is_(None),
            StepRun.started_at >= since,
        )
        .order_by(StepRun.started_at)
    )
    for started, details in runs:
        year, week, _ = started.astimezone(zone).isocalendar()
        cell = cells.get((year, week))
        row = next((r for r in (details or {}).get("recap", []) if r.get("url") == url), None)
        if cell is not None and row is not None:  # later crawls of the week win
            cell.status, cell.age_days = row.get("status"), row.get("age_days")
    return list(cells.values())
