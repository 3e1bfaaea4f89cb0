"""Website freshness from the crawls' recaps: the period's newest crawl, compared with the one a week
before it, and how many weekly crawls in a row found each site stale.

Three statements whatever the history: the crawls (id and time only), the recaps of the two that are
compared, and the `content_stale` findings of the crawls a week apart going back. The first wave asked
two queries per week of history and parsed every recap on the way.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from checks.finding import RANK, STATUSES, severity
from sop_registry.ledger import records
from sop_registry.ledger.models import Finding, StepRun

from .model import IntegrityRow, SiteRow, WebSection

DONE = ("ok", "warn", "crit", "unknown")  # a step run that did its step, whatever it found
_RANK = {s: RANK[s] for s in ("ok", "warn", "crit")}  # measured statuses; UNKNOWN: see _change
# A crawl at most this much earlier still counts as "last week's" for the change column: the SOP's
# crawl is weekly, and a few hours of catch-up delay must not make a week look missing.
PREVIOUS_GAP = timedelta(days=6)
MAX_STALE_WEEKS = 52
# The crawl closing a period is the next Monday's when the report is made after it.
CLOSING_CRAWL = timedelta(days=1)
# Codes of the findings that say a site carries someone else's content (another issue's checks write
# them; until they do, the section is empty). Read as they come, status other than ok.
INTEGRITY_CODES = ("content_injected", "site_defaced")


def _crawl_query():
    return select(StepRun.id, StepRun.started_at, StepRun.sop_id, StepRun.step_no).where(
        StepRun.agent == records.WEB_FRESHNESS,
        StepRun.status.in_(DONE),
        StepRun.measured_by_run_id.is_(None),  # a shared step's evidence run holds no crawl of its own
    )


def crawls(session: Session, before: datetime, not_before: datetime) -> list[Any]:
    """The finished crawls started in [not_before, before), oldest first (id, started_at, sop, step)."""
    query = _crawl_query().where(StepRun.started_at < before, StepRun.started_at >= not_before)
    return list(session.execute(query.order_by(StepRun.started_at, StepRun.id)))


def _weekly_chain(history: list[Any]) -> list[Any]:
    """From the newest crawl back, each the newest one at least PREVIOUS_GAP before the last taken."""
    chain = [history[-1]]
    for crawl in reversed(history[:-1]):
        if len(chain) >= MAX_STALE_WEEKS:
            break
        if crawl.started_at < chain[-1].started_at - PREVIOUS_GAP + timedelta(seconds=1):
            chain.append(crawl)
    return chain


def _recap(session: Session, run_id: int) -> list[records.WebRecapRow]:
    details = session.scalar(select(StepRun.details).where(StepRun.id == run_id))
    return records.readable_recap(run_id, details)


def _stale_by_run(session: Session, run_ids: list[int]) -> dict[int, set[str]]:
    rows = session.execute(
        select(Finding.step_run_id, Finding.target).where(
            Finding.step_run_id.in_(run_ids),
            Finding.code == "content_stale",
            Finding.status.in_(("warn", "crit")),
        )
    )
    out: dict[int, set[str]] = {i: set() for i in run_ids}
    for run_id, target in rows:
        out[run_id].add(target)
    return out


def web_section(session: Session, config: Any, start: datetime, end: datetime, now: datetime) -> WebSection:
    """From the period's newest crawl: the crawl of its last Monday, or the next Monday's if the
    report is made after it (the SOP's Monday crawl closes the week it reports on)."""
    window_end = min(end + CLOSING_CRAWL, now)
    history = crawls(session, window_end, start - timedelta(weeks=MAX_STALE_WEEKS + 1))
    latest = history[-1] if history and history[-1].started_at >= start else None
    section = WebSection()
    recap = _recap(session, latest.id) if latest else []
    by_url = {r.url: r for r in recap}
    sites = [(w.opd, w.id, w.url) for w in config.targets.websites]
    known = {url for _, _, url in sites}
    sites += [(r.opd, r.site_id, r.url) for r in recap if r.url not in known]
    if latest is None and not sites:
        return section
    chain: list[Any] = []
    stale: dict[int, set[str]] = {}
    if latest is not None:
        section.crawled_at, section.run_id = latest.started_at, latest.id
        section.sop_id, section.step_no = latest.sop_id, latest.step_no
        chain = _weekly_chain([c for c in history if c.started_at <= latest.started_at])
        stale = _stale_by_run(session, [c.id for c in chain])
    previous = chain[1] if len(chain) > 1 else None
    previous_rows = {r.url: r for r in _recap(session, previous.id)} if previous else {}
    section.previous_crawled_at = previous.started_at if previous else None
    for opd, site_id, url in sites:
        r = by_url.get(url)
        row = SiteRow(opd=opd, site_id=site_id, url=url, status=r.status if r else None)
        if r is not None:
            row.latest_published = r.latest_published
            row.agenda_updated = r.agenda_updated
            row.age_days = r.age_days
            row.completeness = r.completeness_score
            row.missing_sections = list(r.missing_sections)
            row.findings = list(r.findings)
            before = previous_rows.get(url)
            if before is None:
                row.change = "new"
            else:
                row.previous_status, row.previous_age_days = before.status, before.age_days
                row.change = _change(row.previous_status, row.status)
            for crawl in chain:
                if url not in stale[crawl.id]:
                    break
                row.weeks_stale += 1
        section.rows.append(row)
    for status in ("ok", "warn", "crit", "unknown"):
        section.counts[status] = sum(1 for r in section.rows if r.status == status)
    section.counts["no_data"] = sum(1 for r in section.rows if r.status is None)
    # Worst first, then oldest content: the sites the Kepala Bidang has to act on lead the table.
    order = {s: -severity(s) for s in STATUSES}
    section.rows.sort(key=lambda r: (order.get(r.status, 4), -(r.age_days or 0), r.opd))
    opd_of = {url: opd for opd, _, url in sites}
    in_period = [c for c in history if c.started_at >= start]
    section.integrity = integrity_rows(session, in_period, latest.id if latest else None, opd_of)
    return section


def integrity_rows(
    session: Session, runs: list[Any], latest_id: int | None, opd_of: dict[str, str]
) -> list[IntegrityRow]:
    """The injected-content and defacement findings of the period's crawls, one row per (site, code)."""
    if not runs:
        return []
    at = {c.id: c.started_at for c in runs}
    rows = session.execute(
        select(Finding.step_run_id, Finding.target, Finding.code, Finding.status, Finding.message_id,
               Finding.message_en)
        .where(Finding.step_run_id.in_(list(at)), Finding.code.in_(INTEGRITY_CODES), Finding.status != "ok")
        .order_by(Finding.step_run_id, Finding.id)
    )  # fmt: skip
    seen: dict[tuple[str, str], IntegrityRow] = {}
    for run_id, target, code, status, message_id, message_en in rows:
        row = seen.get((target, code))
        when = at[run_id]
        if row is None:
            latest = run_id == latest_id
            seen[(target, code)] = IntegrityRow(
                opd_of.get(target), target, code, status, message_id, message_en, when, when, latest
            )
        else:
            row.last_seen, row.status, row.message_id, row.message_en = when, status, message_id, message_en
            row.in_latest = row.in_latest or run_id == latest_id
    return sorted(seen.values(), key=lambda r: (not r.in_latest, -severity(r.status), r.opd or "", r.url))


def _change(before: str, now: str) -> str:
    if before not in _RANK or now not in _RANK:
        return "same" if before == now else ("worse" if now == "unknown" else "better")
    return "same" if _RANK[now] == _RANK[before] else ("worse" if _RANK[now] > _RANK[before] else "better")


def week_counts(session: Session, run_id: int) -> dict[str, int]:
    """Status counts of one crawl's recap (the monthly trend's sites per week)."""
    counts = {"ok": 0, "warn": 0, "crit": 0, "unknown": 0}
    for row in _recap(session, run_id):
        counts[row.status] = counts.get(row.status, 0) + 1
    return counts
