"""The OPD websites as the console shows them: one row per configured site from the newest crawl.

The buckets are the SOP's words for a site's publishing: Aktif (newest berita at most warn_after_days
old, 7 by default), Kurang aktif (up to crit_after_days, 30), Pasif (older); a site whose date
could not be read is *tidak terukur*, apart. The limits are each site's layered thresholds (the
step's binding < `web:` < `agents:` < `web.opd` < the site's own), the same the crawl judged by.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from checks.web import Thresholds
from sop_registry.ledger import records
from sop_registry.ledger.models import OPEN_CASE_STATES, Case, Finding

from .. import kinds
from ..config import Config
from ..config.targets import Website
from ..kinds.web import thresholds_for
from . import queries
from .history import site_history
from .web import Console, NotFound, Viewer

FINDINGS_DAYS = 42  # a site's page shows the findings of the last six weekly crawls


def web_thresholds(config: Config, registry: Any) -> dict[str, Thresholds]:
    """Each site's limits, layered from the office's first SOP step that runs the crawl."""
    spec = kinds.get(records.WEB_FRESHNESS)
    base = None
    for sop in config.selected_sops(registry):
        step = next((s for s in sop.steps if s.automation and s.automation.check == spec.id), None)
        if step is not None:
            base = spec.layered(config, sop, step.no)
            break
    return {site.id: thresholds_for(site, config, base) for site in config.targets.websites}


def bucket(age_days: int | float | None, limits: Thresholds) -> str:
    if age_days is None:
        return "unmeasured"
    if age_days <= limits.warn_after_days:
        return "active"
    return "less" if age_days <= limits.crit_after_days else "passive"


def safe_href(url: str | None) -> str | None:
    """A link a person may follow: http(s) only; anything else (javascript:, data:) is shown as text."""
    if not url or len(url) > 2048:
        return None
    lowered = url.strip().lower()
    return url.strip() if lowered.startswith(("http://", "https://")) else None


@dataclass
class SiteLine:
    site: Website
    limits: Thresholds
    bucket: str
    status: str | None = None  # the crawl's ok/warn/crit/unknown; None: not in the crawl
    age_days: int | None = None
    latest_published: datetime | None = None
    item_url: str | None = None
    item_href: str | None = None
    title: str | None = None
    findings: list[str] = field(default_factory=list)
    open_cases: list[int] = field(default_factory=list)
    injected: str | None = None  # content_injected / site_defaced in the newest crawl: the badge

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.site.id,
            "opd": self.site.opd,
            "url": self.site.url,
            "bucket": self.bucket,
            "status": self.status,
            "age_days": self.age_days,
            "latest_published": self.latest_published.isoformat() if self.latest_published else None,
            "latest_url": self.item_url,
            "latest_title": self.title,
            "warn_after_days": self.limits.warn_after_days,
            "crit_after_days": self.limits.crit_after_days,
            "open_cases": self.open_cases,
            "injected": self.injected,
        }


def _open_cases_by_target(db: Session) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for case_id, target in db.execute(
        select(Case.id, Case.target).where(Case.state.in_(OPEN_CASE_STATES)).order_by(Case.id)
    ):
        out.setdefault(target, []).append(case_id)
    return out


INJECTION_CODES = ("site_defaced", "content_injected")  # the worse first: one badge per site


def _injected(db: Session, run: Any) -> dict[str, str]:
    """Site URL -> the injection finding of the newest crawl (issue 21's watch), for the badge."""
    if run is None:
        return {}
    rows = db.execute(
        select(Finding.target, Finding.code).where(
            Finding.step_run_id == run.id, Finding.code.in_(INJECTION_CODES), Finding.status == "crit"
        )
    ).all()
    out: dict[str, str] = {}
    for target, code in sorted(rows, key=lambda r: INJECTION_CODES.index(r[1]), reverse=True):
        out[target] = code  # site_defaced, sorted last, wins
    return out


def site_lines(
    console: Console, db: Session, viewer: Viewer, only: str | None = None
) -> tuple[datetime | None, list[SiteLine]]:
    """Every configured site the viewer sees (or the one `only`), by bucket, the worst first."""
    run = queries.newest_crawl(db)
    raw = (run.details or {}).get("recap", []) if run else []
    if only is not None:  # one site's page: read its row only (a province's recap has 500)
        url = next((w.url for w in console.config.targets.websites if w.id == only), None)
        raw = [r for r in raw if r.get("url") == url]
    recap = records.WebRunDetails.from_json({"recap": raw}).recap
    by_url = {r.url: r for r in recap}
    cases = _open_cases_by_target(db)
    injected = _injected(db, run)
    lines = []
    for site in console.config.targets.websites:
        if not viewer.sees(site.opd) or (only is not None and site.id != only):
            continue
        limits = console.site_limits.get(site.id) or Thresholds()
        r = by_url.get(site.url)
        line = SiteLine(
            site, limits, bucket(r.age_days if r else None, limits), open_cases=cases.get(site.url, [])
        )
        if r is not None:
            line.status, line.age_days = r.status, r.age_days
            line.latest_published, line.item_url = r.latest_published, r.item_url
            line.item_href = safe_href(r.item_url)
            line.title = r.title
            line.findings = list(r.findings)
        line.injected = injected.get(site.url)
        lines.append(line)
    order = {b: i for i, b in enumerate(("passive", "less", "unmeasured", "active"))}
    lines.sort(key=lambda s: (order[s.bucket], -(s.age_days or 0), s.site.opd, s.site.id))
    return (run.started_at if run else None), lines


@dataclass(frozen=True)
class SiteFilter:
    bucket: str | None = None  # active | less | passive | unmeasured
    status: str | None = None  # the crawl's ok | warn | crit | unknown; "none": not in the crawl
    opd: str | None = None

    def keeps(self, line: SiteLine) -> bool:
        if self.bucket and line.bucket != self.bucket:
            return False
        if self.status and (line.status or "none") != self.status:
            return False
        return not self.opd or line.site.opd == self.opd


STATUSES = ("ok", "warn", "crit", "unknown", "none")


def site_filter(params: Any) -> SiteFilter:
    """The list's filters from the query string; an unknown value is no filter."""
    bucket = params.get("bucket")
    status = params.get("status")
    opd = (params.get("opd") or "").strip()[:200] or None
    return SiteFilter(
        bucket if bucket in queries.BUCKETS else None, status if status in STATUSES else None, opd
    )


def visible_site(console: Console, viewer: Viewer, site_id: str) -> Website:
    site = next((w for w in console.config.targets.websites if w.id == site_id), None)
    if site is None or not viewer.sees(site.opd):
        raise NotFound(site_id)
    return site


def site_detail(console: Console, db: Session, viewer: Viewer, site_id: str, now: datetime) -> dict[str, Any]:
    site = visible_site(console, viewer, site_id)
    _crawled, lines = site_lines(console, db, viewer, only=site.id)
    line = lines[0]
    found = queries.findings_since(console, db, viewer, now - timedelta(days=FINDINGS_DAYS), target=site.url)
    findings = [{"finding": f, "run": run, "href": safe_href(f.evidence_url)} for f, run in found]
    history = site_history(db, site.url, now, console.config.office.zone)
    return {"site": site, "line": line, "findings": findings, "history": history}
