"""A site's twelve-week strip: its status in each weekly crawl, in office weeks."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from .recaps import Recaps

HISTORY_WEEKS = 12


@dataclass
class WeekCell:
    week: str  # ISO week in office time, "2026-W48"
    monday: date
    status: str | None  # the week's newest crawl's status for the site; None: no crawl, or not in it
    age_days: int | None = None


def site_histories(
    recaps: Recaps, db: Session, urls: Iterable[str], now: datetime, zone: ZoneInfo
) -> dict[str, list[WeekCell]]:
    """Each site's status in each of the last twelve weeks (office time), oldest first: the newest
    crawl of each week that had the site in its recap. One read of the twelve weeks' crawls for all
    the sites asked for (the list page's strips), not one per site."""
    local = now.astimezone(zone).date()
    first = local - timedelta(days=local.weekday(), weeks=HISTORY_WEEKS - 1)
    weeks = []
    for i in range(HISTORY_WEEKS):
        monday = first + timedelta(weeks=i)
        year, week, _ = monday.isocalendar()
        weeks.append(((year, week), f"{year}-W{week:02d}", monday))
    wanted = set(urls)
    # (year, week) -> url -> (status, age_days) of that week's newest crawl that had the site
    seen: dict[tuple[int, int], dict[str, tuple[str | None, int | None]]] = {key: {} for key, _, _ in weeks}
    since = datetime.combine(first, datetime.min.time(), zone)
    for crawl in recaps.since(db, since):  # oldest first: later crawls of the week win
        year, week, _ = crawl.started_at.astimezone(zone).isocalendar()
        cell = seen.get((year, week))
        if cell is None:
            continue
        for url in wanted:
            row = crawl.by_url.get(url)
            if row is not None:
                cell[url] = (row.status, row.age_days)
    out = {}
    for url in wanted:
        cells = []
        for key, label, monday in weeks:
            status, age = seen[key].get(url, (None, None))
            cells.append(WeekCell(label, monday, status, age))
        out[url] = cells
    return out
