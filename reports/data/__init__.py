"""The report's figures, read from the ledger only: nothing here runs a check.

Each section says what it is built from, so a figure in the PDF can be traced to step runs, findings,
samples or case deadlines. A section with nothing behind it is empty (the renderings say "tidak ada
data"); no figure is ever filled in. A week is the Monday recap; a month is the monthly recap, the same
sections over the month with a row per week (`trend`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from ..period import Month, Period, day_bounds
from .ledger import case_section, cert_section, dns_section, step_section
from .links import link_rows
from .model import (
    CaseRow,
    CaseSection,
    CertRow,
    CertSection,
    DnsSection,
    DriftRow,
    IntegrityRow,
    LinkRow,
    MissedRun,
    Outage,
    Report,
    SiteRow,
    SlaRow,
    StepRow,
    StepSection,
    TrendRow,
    WebSection,
    WeeklyReport,
)
from .web import CLOSING_CRAWL, DONE, INTEGRITY_CODES, crawls, web_section, week_counts

__all__ = [
    "DONE",
    "INTEGRITY_CODES",
    "CaseRow",
    "CaseSection",
    "CertRow",
    "CertSection",
    "DnsSection",
    "DriftRow",
    "IntegrityRow",
    "LinkRow",
    "MissedRun",
    "Outage",
    "Report",
    "SiteRow",
    "SlaRow",
    "StepRow",
    "StepSection",
    "TrendRow",
    "WebSection",
    "WeeklyReport",
    "build",
]


def build(session: Session, config: Any, period: Period, now: datetime) -> Report:
    """Every section of `period` as the ledger has it at `now` (a period still running is partial)."""
    zone = config.office.zone
    start, end = period.bounds(zone)
    cut = min(end, now)
    report = Report(
        period=period,
        start=start,
        end=end,
        generated_at=now,
        web=web_section(session, config, start, end, now),
        links=link_rows(session, config, period.days(), start, end, cut),
        dns=dns_section(session, start, cut),
        certs=cert_section(session, start, cut),
        cases=case_section(session, start, end, now),
        steps=step_section(session, start, cut),
    )
    if isinstance(period, Month):
        report.trend = trend(session, config, period, report, now)
    return report


def trend(session: Session, config: Any, month: Month, report: Report, now: datetime) -> list[TrendRow]:
    """The month week by week (each week cut to the month): the crawl that closed it, the links'
    availability from the month's daily counts, the outages begun, cases and deadlines, SOP steps."""
    zone = config.office.zone
    days = month.days()
    edges = day_bounds(days, zone)
    history = crawls(session, min(report.end + CLOSING_CRAWL, now), report.start)
    rows = []
    for week in month.weeks():
        week_start, week_end = week.bounds(zone)
        w_start, w_end = max(week_start, report.start), min(week_end, report.end)
        if w_start >= min(w_end, now):
            continue  # not begun yet
        row = TrendRow(str(week), w_start, w_end)
        closing = [c for c in history if week_start <= c.started_at < week_end + CLOSING_CRAWL]
        if closing:
            counts = week_counts(session, closing[-1].id)
            row.crawled_at = closing[-1].started_at
            row.sites_checked = sum(counts.values()) - counts.get("unknown", 0)
            row.sites_fresh, row.sites_stale = counts.get("ok", 0), counts.get("crit", 0)
        in_week = [i for i, _ in enumerate(days) if w_start <= edges[i] < w_end]
        uptimes = []
        for link in report.links:
            n = sum(link.daily_counts[i][0] for i in in_week)
            up = sum(link.daily_counts[i][1] for i in in_week)
            row.link_samples += n
            if n:
                uptimes.append(up / n * 100)
        row.uptime_pct = sum(uptimes) / len(uptimes) if uptimes else None
        begun = [o for o in report.outages if w_start <= o.start < w_end]
        row.outages, row.down_time_s = len(begun), sum(o.duration_s for o in begun)
        cases = case_section(session, w_start, w_end, now)
        row.cases_opened, row.cases_closed = cases.opened, cases.closed
        row.sla_on_time = sum(r.on_time for r in cases.sla)
        row.sla_judged = sum(r.on_time + r.breached for r in cases.sla)
        steps = step_section(session, w_start, min(w_end, now))
        row.steps_done = sum(r.done for r in steps.rows)
        row.steps_planned = sum(r.done + r.skipped + r.errors for r in steps.rows)
        rows.append(row)
    return rows
