"""Tautan: each OPD link's week as the weekly report counts it (`reports.data.build`, read-only):
availability per day as a heat map, download and upload against the contract, outages, the week's
under-delivery findings, and the cases held for the provider with its ticket. A link bound to a
MikroTik queue shows the queue, its max-limit and the p95 against it, in the weekly report's words.

The charts are SVG drawn by the template from the numbers here (no script, no chart library); every
label in them comes through Jinja's autoescaping.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from reports import texts as report_texts
from reports.fmt import queue_limit
from reports.period import Week
from sop_registry.ledger.models import Case, Finding, StepRun

from . import home, queries
from .web import Console, NotFound, Viewer

UNDER_CODES = ("bw_under_delivery",)
SPARK_W, SPARK_H = 168, 40


def shade(pct: float | None) -> str:
    """The heat map's colour for a day's availability (grey: not measured)."""
    if pct is None:
        return "#e3e7eb"
    for limit, colour in ((99.5, "#1e7b34"), (98.0, "#69b37a"), (95.0, "#e0b000"), (90.0, "#e07b00")):
        if pct >= limit:
            return colour
    return "#b42318"


def spark(values: list[float | None], top: float) -> list[str]:
    """Polyline point lists of a series in % of the contract; a gap (None) breaks the line."""
    if not values:
        return []
    step = SPARK_W / max(len(values) - 1, 1)
    lines, current = [], []
    for i, v in enumerate(values):
        if v is None:
            if current:
                lines.append(" ".join(current))
            current = []
            continue
        y = SPARK_H - min(v, top) / top * SPARK_H
        current.append(f"{i * step:.1f},{y:.1f}")
    if current:
        lines.append(" ".join(current))
    return lines


@dataclass
class LinkView:
    row: Any  # reports.data.LinkRow
    cells: list[tuple[str, float | None]] = field(default_factory=list)  # (colour, pct) per day
    lines: list[str] = field(default_factory=list)  # download, % of the contract
    up_lines: list[str] = field(default_factory=list)  # upload, % of its contract
    top: float = 120.0
    limit_y: float = 0.0  # where 100 % of the contract is drawn

    @property
    def up_mean_pct(self) -> float | None:
        r = self.row
        return (
            None
            if r.up_mean_mbps is None or not r.contracted_up_mbps
            else r.up_mean_mbps / r.contracted_up_mbps * 100
        )


def week_param(console: Console, text: str | None, now: datetime) -> Week:
    if not text:
        return Week.containing(now.astimezone(console.config.office.zone).date())
    try:
        week = Week.parse(text[:10])
    except Exception:
        raise NotFound(text) from None
    return week


def link_page(console: Console, db: Session, viewer: Viewer, now: datetime, week: Week) -> dict[str, Any]:
    report = home.week_report(console, db, now, week)
    start, end = report.start, report.end
    views = []
    for r in report.links:
        if not viewer.sees(r.opd):
            continue
        values, ups = list(r.util_buckets), list(r.up_util_buckets)
        top = max([120.0, *[v for v in values + ups if v is not None]])
        view = LinkView(r, [(shade(p), p) for p in r.daily_uptime], spark(values, top), spark(ups, top), top)
        view.limit_y = SPARK_H - 100 / top * SPARK_H
        views.append(view)
    shown = {v.row.link_id for v in views}
    outages = [o for o in report.outages if o.link_id in shown]
    under = [
        (f, run)
        for f, run in db.execute(
            select(Finding, StepRun)
            .join(StepRun, Finding.step_run_id == StepRun.id)
            .where(StepRun.started_at >= start, StepRun.started_at < end, Finding.code.in_(UNDER_CODES))
            .order_by(StepRun.started_at.desc())
            .limit(queries.MAX_FINDINGS)
        )
        if viewer.sees(queries.finding_opd(console, f))
    ]
    held = []
    for case in db.scalars(select(Case).where(Case.state == "waiting_provider").order_by(Case.paused_at)):
        if viewer.sees(queries.case_opd(console, case)):
            held.append((case, (case.details or {}).get("provider") or {}))
    days = week.days()
    return {
        "report": report,
        "week": week,
        "days": days,
        "views": views,
        "outages": outages,
        "under": under,
        "held": held,
        "prev_week": str(week.shift(-1)),
        "next_week": str(week.shift(1))
        if week.shift(1).monday <= now.astimezone(console.config.office.zone).date()
        else None,
        "queue_t": report_texts.get,  # the queue's words, as the weekly report says them
        "queue_limit": queue_limit,
        "spark_w": SPARK_W,
        "spark_h": SPARK_H,
        "legend": [
            (shade(p), label)
            for p, label in (
                (100, "≥ 99,5 %"),
                (98.5, "≥ 98 %"),
                (96, "≥ 95 %"),
                (92, "≥ 90 %"),
                (50, "< 90 %"),
                (None, "-"),
            )
        ],
    }
