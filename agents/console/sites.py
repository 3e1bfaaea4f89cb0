"""The OPD websites as the console shows them: one row per configured site from the newest crawl.

The buckets are the SOP's words for a site's publishing: Aktif (newest berita at most warn_after_days
old, 7 by default), Kurang aktif (up to crit_after_days, 30), Pasif (older); a site whose date
could not be read is *tidak terukur*, apart. The limits are each site's layered thresholds (the
step's binding < `web:` < `agents:` < `web.opd` < the site's own), the same the crawl judged by.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from markupsafe import Markup, escape
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
from .history import WeekCell, site_histories
from .web import Console, NotFound, Viewer, list_query

FINDINGS_DAYS = 42  # a site's page shows the findings of the last six weekly crawls
PAGE_SIZE = 100  # sites per page of the list: a province's 500 rows with their strips are 1 MB of HTML

# The klaster offices group their OPDs in (field notes: Dinas Daerah, Badan Daerah, Kecamatan,
# Kelurahan/Desa), read off the OPD's name when the site has no `group`: the full word, or the
# usual short names ("Diskominfo", "Bappeda", "BPBD").
_BADAN_SHORT = frozenset(
    {
        "bappeda", "bapenda", "bappelitbangda", "bapperida", "brida", "bpbd", "bkd", "bkpsdm",
        "bkpp", "bpkad", "bpkd", "bpkpd", "bppkad", "bakesbangpol", "kesbangpol", "bpmptsp",
    }
)  # fmt: skip


def klaster_of(site: Website) -> str | None:
    """The site's klaster: its `group`, else one read off the OPD's name; None: none of the usual."""
    if site.group:
        return site.group
    words = site.opd.replace("/", " ").split()
    first = words[0].casefold() if words else ""
    if first in ("kecamatan", "distrik"):  # Papua's distrik is a kecamatan
        return "Kecamatan"
    if first == "dinas" or (first.startswith("dis") and len(first) > 4):  # Diskominfo, Disdukcapil
        return "Dinas Daerah"
    if first == "badan" or first in _BADAN_SHORT:
        return "Badan Daerah"
    if first in ("kelurahan", "desa", "kampung", "nagari", "gampong"):
        return "Kelurahan/Desa"
    return None


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
    group: str | None = None  # the klaster (klaster_of)
    status: str | None = None  # the crawl's ok/warn/crit/unknown; None: not in the crawl
    age_days: int | None = None
    latest_published: datetime | None = None
    item_url: str | None = None
    item_href: str | None = None
    title: str | None = None
    findings: list[str] = field(default_factory=list)
    open_cases: list[int] = field(default_factory=list)
    injected: str | None = None  # content_injected / site_defaced in the newest crawl: the badge
    agenda_found: bool | None = None  # None: the crawl did not look (or the site was not measured)
    agenda_updated: datetime | None = None
    agenda_age_days: int | None = None  # at the crawl, in office days
    completeness: int | None = None  # 0-100: the SOP's sections the home page links to
    missing_sections: list[str] = field(default_factory=list)
    history: list[WeekCell] = field(default_factory=list)  # filled for the rows a page shows

    @property
    def agenda_stale(self) -> bool:
        return self.agenda_age_days is not None and self.agenda_age_days > self.limits.agenda_warn_after_days

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.site.id,
            "opd": self.site.opd,
            "group": self.group,
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
            "agenda_found": self.agenda_found,
            "agenda_updated": self.agenda_updated.isoformat() if self.agenda_updated else None,
            "agenda_age_days": self.agenda_age_days,
            "completeness": self.completeness,
            "missing_sections": self.missing_sections,
            "history": [
                {"week": c.week, "status": c.status, "age_days": c.age_days} for c in self.history
            ],
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
    run = console.recaps.newest(db)
    by_url = run.by_url if run else {}
    cases = _open_cases_by_target(db)
    injected = _injected(db, run)
    zone = console.config.office.zone
    crawl_day = run.started_at.astimezone(zone).date() if run else None
    lines = []
    for site in console.config.targets.websites:
        if not viewer.sees(site.opd) or (only is not None and site.id != only):
            continue
        limits = console.site_limits.get(site.id) or Thresholds()
        r = by_url.get(site.url)
        line = SiteLine(
            site,
            limits,
            bucket(r.age_days if r else None, limits),
            group=klaster_of(site),
            open_cases=cases.get(site.url, []),
        )
        if r is not None:
            line.status, line.age_days = r.status, r.age_days
            line.latest_published, line.item_url = r.latest_published, r.item_url
            line.item_href = safe_href(r.item_url)
            line.title = r.title
            line.findings = list(r.findings)
            line.agenda_found, line.agenda_updated = r.agenda_found, r.agenda_updated
            if r.agenda_updated is not None and crawl_day is not None:
                line.agenda_age_days = max(0, (crawl_day - r.agenda_updated.astimezone(zone).date()).days)
            line.completeness = None if r.completeness_score is None else round(r.completeness_score)
            line.missing_sections = list(r.missing_sections)
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
    group: str | None = None  # a klaster; "none": the sites of none

    def keeps(self, line: SiteLine) -> bool:
        if self.bucket and line.bucket != self.bucket:
            return False
        if self.status and (line.status or "none") != self.status:
            return False
        if self.group and (line.group or "none") != self.group:
            return False
        return not self.opd or line.site.opd == self.opd

    def query(self, **changes: Any) -> str:
        """The list's query string with these filters (and `page`), for the pager's links."""
        values = {"bucket": self.bucket, "status": self.status, "group": self.group, "opd": self.opd}
        return list_query({**values, **changes})


STATUSES = ("ok", "warn", "crit", "unknown", "none")


def site_filter(params: Any) -> SiteFilter:
    """The list's filters from the query string; an unknown value is no filter."""
    bucket = params.get("bucket")
    status = params.get("status")
    opd = (params.get("opd") or "").strip()[:200] or None
    group = (params.get("group") or "").strip()[:100] or None
    return SiteFilter(
        bucket if bucket in queries.BUCKETS else None, status if status in STATUSES else None, opd, group
    )


class StripCells:
    """The list's twelve-week strips as markup. A page has 100 of them, 1,200 cells, but a cell is one
    of twelve weeks times five states: each is made (and escaped) once, then reused."""

    def __init__(self, t: Callable[..., str]) -> None:
        self._t = t
        self._made: dict[tuple[str, str | None], str] = {}

    def __call__(self, cells: list[WeekCell]) -> Markup:
        out = []
        for cell in cells:
            key = (cell.week, cell.status)
            html = self._made.get(key)
            if html is None:
                state = cell.status or "none"
                title = escape(f"{cell.week}: {self._t('status_' + state)}")
                html = self._made[key] = f'<i class="status-{escape(state)}" title="{title}"></i>'
            out.append(html)
        return Markup("".join(out))


def with_history(console: Console, db: Session, lines: list[SiteLine], now: datetime) -> None:
    """Fill the twelve-week strips of these rows (the page shown), in one read of the crawls."""
    urls = [line.site.url for line in lines]
    strips = site_histories(console.recaps, db, urls, now, console.config.office.zone)
    for line in lines:
        line.history = strips.get(line.site.url, [])


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
    with_history(console, db, [line], now)
    return {"site": site, "line": line, "findings": findings, "history": line.history}
