"""The weekly report's figures, read from the ledger only: nothing here runs a check.

Each section says what it is built from, so a figure in the PDF can be traced to step runs, findings,
samples or case deadlines. A section with nothing behind it is empty (the renderings say "tidak ada
data"); no figure is ever filled in.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from checks.finding import RANK, STATUSES, severity
from sop_registry.ledger import records
from sop_registry.ledger.models import Case, Finding, Sample, StepRun
from sop_registry.ledger.series import summarise, summary_of

from .period import Week

# Statuses of a step run that did the step (the check ran to the end, whatever it found).
DONE = ("ok", "warn", "crit", "unknown")
_RANK = {s: RANK[s] for s in ("ok", "warn", "crit")}  # measured statuses; UNKNOWN: see _change
# A crawl at most this much earlier still counts as "last week's" for the change column: the SOP's
# crawl is weekly, and a few hours of catch-up delay must not make a week look missing.
_PREVIOUS_GAP = timedelta(days=6)
_MAX_STALE_WEEKS = 52
# Utilisation over the week is drawn from this many buckets (6 hours each).
BUCKET_HOURS = 6


# --- website freshness --------------------------------------------------------------------------


@dataclass
class SiteRow:
    opd: str
    site_id: str | None
    url: str
    status: str | None  # None: the site was not in the crawl (no data)
    latest_published: datetime | None = None
    agenda_updated: datetime | None = None
    age_days: float | None = None
    completeness: float | None = None
    missing_sections: list[str] = field(default_factory=list)
    findings: list[str] = field(default_factory=list)
    previous_status: str | None = None
    previous_age_days: float | None = None
    change: str | None = None  # better | worse | same | new (no crawl a week earlier)
    weeks_stale: int = 0  # consecutive weekly crawls, this one included, in which content was stale


@dataclass
class WebSection:
    crawled_at: datetime | None = None  # the crawl the figures come from
    run_id: int | None = None
    previous_crawled_at: datetime | None = None
    rows: list[SiteRow] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)


# --- links --------------------------------------------------------------------------------------


@dataclass
class Outage:
    link_id: str
    opd: str
    start: datetime
    end: datetime | None  # first sample up again; None: still down at the last sample
    last_seen_down: datetime
    duration_s: float  # to `end`, or to the last down sample while it lasts


@dataclass
class LinkRow:
    link_id: str
    opd: str
    provider: str | None
    contracted_down_mbps: float
    contracted_up_mbps: float
    samples: int = 0
    uptime_pct: float | None = None
    outages: list[Outage] = field(default_factory=list)
    down_time_s: float = 0.0
    down_mean_mbps: float | None = None
    down_p95_mbps: float | None = None
    down_peak_mbps: float | None = None
    up_mean_mbps: float | None = None
    up_p95_mbps: float | None = None
    bw_samples: int = 0
    under_delivery: int = 0  # bw_under_delivery findings this week (crit)
    over_use: int = 0
    daily_uptime: list[float | None] = field(default_factory=list)  # Monday..Sunday
    util_buckets: list[float | None] = field(default_factory=list)  # mean download % of contract

    @property
    def down_p95_pct(self) -> float | None:
        return _pct(self.down_p95_mbps, self.contracted_down_mbps)

    @property
    def down_mean_pct(self) -> float | None:
        return _pct(self.down_mean_mbps, self.contracted_down_mbps)


def _pct(value: float | None, of: float) -> float | None:
    return None if value is None or not of else value / of * 100


# --- DNS, certificates --------------------------------------------------------------------------


@dataclass
class DriftRow:
    target: str
    opd: str | None
    code: str
    status: str
    message_id: str
    message_en: str | None
    first_seen: datetime
    last_seen: datetime
    fixed_at: datetime | None  # the first DNS run after the last sighting that no longer had it


@dataclass
class DnsSection:
    runs: int = 0
    last_run_at: datetime | None = None
    rows: list[DriftRow] = field(default_factory=list)

    @property
    def fixed(self) -> int:
        return sum(1 for r in self.rows if r.fixed_at is not None)


@dataclass
class CertRow:
    target: str
    opd: str | None
    code: str
    status: str
    days_left: int | None
    not_after: datetime | None  # UTC; shown as the office's date
    message_id: str
    message_en: str | None


@dataclass
class CertSection:
    checked_at: datetime | None = None
    endpoints: int = 0
    rows: list[CertRow] = field(default_factory=list)


# --- cases and SLA ------------------------------------------------------------------------------


@dataclass
class CaseRow:
    id: int
    sop_id: str
    step_no: int
    target: str
    title: str
    state: str
    opened_at: datetime
    resolved_at: datetime | None
    closed_at: datetime | None
    provider_wait_s: float
    provider: str | None
    breached_steps: list[int]


@dataclass
class SlaRow:
    sop_id: str
    step_no: int
    role: str | None
    on_time: int = 0
    breached: int = 0
    pending: int = 0  # not done, not yet due at the end of the week

    @property
    def compliance_pct(self) -> float | None:
        judged = self.on_time + self.breached
        return self.on_time / judged * 100 if judged else None


@dataclass
class CaseSection:
    rows: list[CaseRow] = field(default_factory=list)
    opened: int = 0
    closed: int = 0  # resolved or closed this week
    open_at_end: int = 0
    sla: list[SlaRow] = field(default_factory=list)
    provider_wait_s: float = 0.0


# --- SOP steps ----------------------------------------------------------------------------------


@dataclass
class StepRow:
    sop_id: str
    step_no: int
    agent: str | None
    runs: int = 0
    done: int = 0
    skipped: int = 0
    errors: int = 0
    catch_up: int = 0
    late: int = 0  # longer than the step's time standard
    last_at: datetime | None = None


@dataclass
class MissedRun:
    sop_id: str
    step_no: int
    agent: str | None
    status: str
    due_at: datetime | None
    started_at: datetime
    reason: str | None


@dataclass
class StepSection:
    rows: list[StepRow] = field(default_factory=list)
    missed: list[MissedRun] = field(default_factory=list)


@dataclass
class WeeklyReport:
    week: Week
    start: datetime
    end: datetime
    generated_at: datetime
    web: WebSection
    links: list[LinkRow]
    dns: DnsSection
    certs: CertSection
    cases: CaseSection
    steps: StepSection
    approval: dict[str, Any] | None = None  # who approved it, when (step 3), once recorded

    @property
    def outages(self) -> list[Outage]:
        return sorted((o for r in self.links for o in r.outages), key=lambda o: o.start)

    @property
    def mean_uptime_pct(self) -> float | None:
        measured = [r.uptime_pct for r in self.links if r.uptime_pct is not None]
        return sum(measured) / len(measured) if measured else None


# --- building -----------------------------------------------------------------------------------


def build(session: Session, config: Any, week: Week, now: datetime) -> WeeklyReport:
    """Every section of week `week` as the ledger has it at `now` (a week still running is partial)."""
    zone = config.office.zone
    start, end = week.bounds(zone)
    cut = min(end, now)
    return WeeklyReport(
        week=week,
        start=start,
        end=end,
        generated_at=now,
        web=web_section(session, config, start, end, now),
        links=link_rows(session, config, week, start, cut),
        dns=dns_section(session, start, cut),
        certs=cert_section(session, start, cut),
        cases=case_section(session, start, end, now),
        steps=step_section(session, start, cut),
    )


def _crawls(session: Session, before: datetime, not_before: datetime | None = None) -> StepRun | None:
    """The newest finished crawl started before `before` (and not before `not_before`)."""
    query = select(StepRun).where(
        StepRun.agent == records.WEB_FRESHNESS,
        StepRun.status.in_(DONE),
        StepRun.started_at < before,
        StepRun.measured_by_run_id.is_(None),  # a shared step's evidence run holds no crawl of its own
    )
    if not_before is not None:
        query = query.where(StepRun.started_at >= not_before)
    return session.scalars(query.order_by(StepRun.started_at.desc(), StepRun.id.desc()).limit(1)).first()


def _stale_urls(session: Session, run: StepRun) -> set[str]:
    return set(
        session.scalars(
            select(Finding.target).where(
                Finding.step_run_id == run.id,
                Finding.code == "content_stale",
                Finding.status.in_(("warn", "crit")),
            )
        )
    )


def web_section(session: Session, config: Any, start: datetime, end: datetime, now: datetime) -> WebSection:
    """From the week's newest crawl: the crawl of the week's Monday, or the next Monday's if the report
    is made after it (the SOP's Monday crawl closes the week it reports on)."""
    run = _crawls(session, min(end + timedelta(days=1), now), not_before=start)
    section = WebSection()
    recap = records.WebRunDetails.from_json(run.details).recap if run else []
    by_url = {r.url: r for r in recap}
    sites = [(w.opd, w.id, w.url) for w in config.targets.websites]
    known = {url for _, _, url in sites}
    sites += [(r.opd, r.site_id, r.url) for r in recap if r.url not in known]
    if run is None and not sites:
        return section
    history: list[tuple[StepRun, set[str]]] = []
    if run is not None:
        section.crawled_at, section.run_id = run.started_at, run.id
        older = run
        # The crawls a week apart going back, for "weeks in a row stale".
        history.append((run, _stale_urls(session, run)))
        while len(history) < _MAX_STALE_WEEKS:
            older = _crawls(session, older.started_at - _PREVIOUS_GAP + timedelta(seconds=1))
            if older is None:
                break
            history.append((older, _stale_urls(session, older)))
    previous = history[1][0] if len(history) > 1 else None
    before_recap = records.WebRunDetails.from_json(previous.details).recap if previous else []
    previous_rows = {r.url: r for r in before_recap}
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
            for _, stale in history:
                if url not in stale:
                    break
                row.weeks_stale += 1
        section.rows.append(row)
    for status in ("ok", "warn", "crit", "unknown"):
        section.counts[status] = sum(1 for r in section.rows if r.status == status)
    section.counts["no_data"] = sum(1 for r in section.rows if r.status is None)
    # Worst first, then oldest content: the sites the Kepala Bidang has to act on lead the table.
    order = {s: -severity(s) for s in STATUSES}
    section.rows.sort(key=lambda r: (order.get(r.status, 4), -(r.age_days or 0), r.opd))
    return section


def _change(before: str, now: str) -> str:
    if before not in _RANK or now not in _RANK:
        return "same" if before == now else ("worse" if now == "unknown" else "better")
    return "same" if _RANK[now] == _RANK[before] else ("worse" if _RANK[now] > _RANK[before] else "better")


def _values(session: Session, series: str, start: datetime, end: datetime) -> list[tuple[datetime, float]]:
    rows = session.execute(
        select(Sample.at, Sample.value)
        .where(Sample.series == series, Sample.at >= start, Sample.at < end)
        .order_by(Sample.at)
    )
    return [(at, value) for at, value in rows]


def outages_of(link_id: str, opd: str, ups: list[tuple[datetime, float]]) -> list[Outage]:
    """Runs of "down" samples: from the first down sample to the first up one after it."""
    out: list[Outage] = []
    began: datetime | None = None
    last_down: datetime | None = None
    for at, value in ups:
        if value < 0.5:
            began = began or at
            last_down = at
        elif began is not None and last_down is not None:
            out.append(Outage(link_id, opd, began, at, last_down, (at - began).total_seconds()))
            began = None
    if began is not None and last_down is not None:
        out.append(Outage(link_id, opd, began, None, last_down, (last_down - began).total_seconds()))
    return out


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def link_rows(session: Session, config: Any, week: Week, start: datetime, end: datetime) -> list[LinkRow]:
    zone = config.office.zone
    rows = []
    counts = _finding_counts(session, ("bw_under_delivery", "bw_over_use"), start, end)
    for link in config.targets.links:
        row = LinkRow(link.id, link.opd, link.provider, link.contracted_down_mbps, link.contracted_up_mbps)
        ups = _values(session, records.link_up(link.id), start, end)
        row.samples = len(ups)
        if ups:
            row.uptime_pct = sum(1 for _, v in ups if v >= 0.5) / len(ups) * 100
            row.outages = outages_of(link.id, link.opd, ups)
            row.down_time_s = sum(o.duration_s for o in row.outages)
        by_day: dict[date, list[float]] = defaultdict(list)
        for at, value in ups:
            by_day[at.astimezone(zone).date()].append(1.0 if value >= 0.5 else 0.0)
        row.daily_uptime = [
            (m * 100 if (m := _mean(by_day.get(d, []))) is not None else None) for d in week.days()
        ]
        # Read once: the week's summary and the 6-hour buckets of the chart come from the same rows.
        down_values = _values(session, records.bw_down_bps(link.id), start, end)
        down = summary_of(records.bw_down_bps(link.id), [v for _, v in down_values])
        up = summarise(session, records.bw_up_bps(link.id), start, end)
        row.bw_samples = down.count
        row.down_mean_mbps, row.down_p95_mbps, row.down_peak_mbps = (
            _mbps(down.mean),
            _mbps(down.p95),
            _mbps(down.peak),
        )
        row.up_mean_mbps, row.up_p95_mbps = _mbps(up.mean), _mbps(up.p95)
        buckets: dict[int, list[float]] = defaultdict(list)
        for at, value in down_values:
            buckets[int((at - start).total_seconds() // (BUCKET_HOURS * 3600))].append(value)
        row.util_buckets = [
            _pct(_mbps(_mean(buckets.get(i, []))), link.contracted_down_mbps)
            for i in range(7 * 24 // BUCKET_HOURS)
        ]
        row.under_delivery = counts.get(("bw_under_delivery", link.id), 0)
        row.over_use = counts.get(("bw_over_use", link.id), 0)
        rows.append(row)
    return rows


def _mbps(bps: float | None) -> float | None:
    return None if bps is None else bps / 1e6


def _finding_counts(
    session: Session, codes: tuple[str, ...], start: datetime, end: datetime
) -> dict[tuple[str, str], int]:
    rows = session.execute(
        select(Finding.code, Finding.target)
        .join(StepRun, Finding.step_run_id == StepRun.id)
        .where(
            Finding.code.in_(codes),
            Finding.status != "ok",
            StepRun.started_at >= start,
            StepRun.started_at < end,
        )
    )
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for code, target in rows:
        counts[(code, target)] += 1
    return counts


def _runs_with_findings(session: Session, agent: str, start: datetime, end: datetime) -> list[StepRun]:
    return list(
        session.scalars(
            select(StepRun)
            .options(selectinload(StepRun.findings))
            .where(
                StepRun.agent == agent,
                StepRun.status.in_(DONE),
                StepRun.measured_by_run_id.is_(None),
                StepRun.started_at >= start,
                StepRun.started_at < end,
            )
            .order_by(StepRun.started_at, StepRun.id)
        )
    )


def dns_section(session: Session, start: datetime, end: datetime) -> DnsSection:
    """Drift between the DNS and the IP-allocation list: each (record, problem) seen this week, and
    whether a later DNS run no longer saw it (fixed)."""
    runs = _runs_with_findings(session, records.DNS_IP, start, end)
    section = DnsSection(runs=len(runs), last_run_at=runs[-1].started_at if runs else None)
    seen: dict[tuple[str, str], DriftRow] = {}
    for run in runs:
        present = set()
        for f in run.findings:
            if f.status == "ok" or not f.code.startswith("dns_"):
                continue
            key = (f.target, f.code)
            present.add(key)
            row = seen.get(key)
            if row is None:
                opd = records.DnsFindingDetails.from_json(f.details).opd if f.details else None
                seen[key] = DriftRow(
                    f.target,
                    opd,
                    f.code,
                    f.status,
                    f.message_id,
                    f.message_en,
                    run.started_at,
                    run.started_at,
                    None,
                )
            else:
                row.last_seen, row.fixed_at, row.status = run.started_at, None, f.status
        for key, row in seen.items():
            if key not in present and row.fixed_at is None and row.last_seen < run.started_at:
                row.fixed_at = run.started_at
    section.rows = sorted(seen.values(), key=lambda r: (r.fixed_at is not None, r.target, r.code))
    return section


def cert_section(session: Session, start: datetime, end: datetime) -> CertSection:
    """The week's newest certificate check: the certificates expiring or otherwise not right."""
    runs = _runs_with_findings(session, records.TLS_CERT, start, end)
    section = CertSection()
    if not runs:
        return section
    run = runs[-1]
    section.checked_at = run.started_at
    section.endpoints = len({f.target for f in run.findings})
    for f in run.findings:
        if f.status == "ok" and f.code != "cert_expiring":
            continue
        details = records.CertFindingDetails.from_json(f.details)
        section.rows.append(
            CertRow(
                f.target,
                details.opd,
                f.code,
                f.status,
                details.days_left,
                details.not_after,
                f.message_id,
                f.message_en,
            )
        )
    section.rows.sort(key=lambda r: (r.days_left if r.days_left is not None else 10**6, r.target))
    return section


def case_section(session: Session, start: datetime, end: datetime, now: datetime) -> CaseSection:
    """Cases opened, worked or closed this week, and each SOP step's deadlines met or missed."""
    cut = min(end, now)
    cases = list(
        session.scalars(
            select(Case)
            .options(selectinload(Case.deadlines))
            .where(Case.opened_at < cut)
            .where((Case.closed_at.is_(None)) | (Case.closed_at >= start))
            .order_by(Case.opened_at, Case.id)
        )
    )
    section = CaseSection()
    sla: dict[tuple[str, int], SlaRow] = {}
    for case in cases:
        finished = case.resolved_at or case.closed_at
        if finished is not None and finished < start:
            continue  # resolved before the week, only closed (made final) during it: nothing happened
        wait = float(case.provider_wait_s or 0)
        if case.paused_at is not None and case.paused_at < cut:
            wait += (cut - case.paused_at).total_seconds()  # still waiting at the end of the week
        breached_steps = []
        for d in case.deadlines:
            if d.due_at is None:
                continue  # a step without a time standard is not judged
            in_week = start <= d.due_at < end or (d.done_at is not None and start <= d.done_at < end)
            # Missed: due before the cut, and breached or done (or still not done) after the due time.
            missed = d.due_at < cut and (d.breached_at is not None or (d.done_at or cut) > d.due_at)
            if missed:
                breached_steps.append(d.step_no)
            if not in_week:
                continue
            row = sla.setdefault((case.sop_id, d.step_no), SlaRow(case.sop_id, d.step_no, d.role))
            if d.done_at is not None and d.done_at <= d.due_at and d.breached_at is None:
                row.on_time += 1
            elif missed:
                row.breached += 1
            else:
                row.pending += 1
        section.rows.append(
            CaseRow(
                case.id,
                case.sop_id,
                case.step_no,
                case.target,
                case.title,
                case.state,
                case.opened_at,
                case.resolved_at,
                case.closed_at,
                wait,
                (case.details or {}).get("provider"),
                breached_steps,
            )
        )
        section.opened += start <= case.opened_at < end
        section.closed += finished is not None and start <= finished < end
        section.open_at_end += finished is None or finished >= cut
        section.provider_wait_s += wait
    section.sla = sorted(sla.values(), key=lambda r: (r.sop_id, r.step_no))
    return section


def step_section(session: Session, start: datetime, end: datetime) -> StepSection:
    """Which SOP steps ran this week: the step runs are the evidence, skipped and failed ones listed."""
    runs = session.scalars(
        select(StepRun)
        .where(StepRun.started_at >= start, StepRun.started_at < end)
        .order_by(StepRun.started_at, StepRun.id)
    )
    section = StepSection()
    rows: dict[tuple[str, int, str | None], StepRow] = {}
    for run in runs:
        row = rows.setdefault(
            (run.sop_id, run.step_no, run.agent), StepRow(run.sop_id, run.step_no, run.agent)
        )
        row.runs += 1
        row.last_at = run.started_at
        if run.status in DONE:
            row.done += 1
        elif run.status == "skipped":
            row.skipped += 1
        elif run.status == "error":
            row.errors += 1
        row.catch_up += run.trigger == "catch_up"
        row.late += run.within_time_standard is False
        if run.status in ("skipped", "error"):
            section.missed.append(
                MissedRun(
                    run.sop_id, run.step_no, run.agent, run.status, run.due_at, run.started_at, run.reason
                )
            )
    section.rows = sorted(rows.values(), key=lambda r: (r.sop_id, r.step_no, r.agent or ""))
    return section
