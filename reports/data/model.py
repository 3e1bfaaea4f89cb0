"""What the report's figures are: the named types every rendering (HTML, PDF, XLSX, PNG) lays out.

A section with nothing behind it is empty (the renderings say "tidak ada data"); no figure is ever
filled in. The builders beside this module read them from the ledger.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..period import Period

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
class IntegrityRow:
    """A site the crawls found carrying injected content or defaced (`content_injected`,
    `site_defaced`): the period's sightings of one (site, problem)."""

    opd: str | None
    url: str
    code: str
    status: str
    message_id: str
    message_en: str | None
    first_seen: datetime
    last_seen: datetime
    in_latest: bool  # still seen by the period's newest crawl


@dataclass
class WebSection:
    crawled_at: datetime | None = None  # the crawl the figures come from
    run_id: int | None = None
    sop_id: str | None = None  # the SOP (and step) the crawl was the output of: the letters cite it
    step_no: int | None = None
    previous_crawled_at: datetime | None = None
    rows: list[SiteRow] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    integrity: list[IntegrityRow] = field(default_factory=list)


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
    under_delivery: int = 0  # bw_under_delivery findings this period (crit)
    over_use: int = 0
    daily_uptime: list[float | None] = field(default_factory=list)  # one per day of the period
    daily_counts: list[tuple[int, int]] = field(default_factory=list)  # (samples, up) per day
    util_buckets: list[float | None] = field(default_factory=list)  # mean download % of contract
    up_util_buckets: list[float | None] = field(default_factory=list)  # mean upload % of contract
    # A link bound to a MikroTik queue (`queue:`); an interface-bound link keeps these None and 0.
    queue: str | None = None  # the queue's name
    # Its max-limit as last read in the period (step_runs.details["queues"]): None when never read
    # (no RouterOS API, or it failed all period; a tree queue has one direction), 0 when unlimited.
    queue_limit_down_mbps: float | None = None
    queue_limit_up_mbps: float | None = None
    queue_limit_read_at: datetime | None = None  # the run that read it
    # queue_saturated findings this period: the OPD held at our own queue's limit, not by the provider
    # (counted apart from under_delivery, which is never said then).
    queue_saturated: int = 0
    queue_limit_mismatch: int = 0  # queue_limit_mismatch findings: max-limit differs from the contract

    @property
    def down_p95_pct(self) -> float | None:
        return pct(self.down_p95_mbps, self.contracted_down_mbps)

    @property
    def down_p95_limit_pct(self) -> float | None:
        """The download's 95th percentile against the queue's own max-limit (None: no limit read, or
        the queue is unlimited)."""
        return pct(self.down_p95_mbps, self.queue_limit_down_mbps or 0)

    @property
    def up_p95_limit_pct(self) -> float | None:
        return pct(self.up_p95_mbps, self.queue_limit_up_mbps or 0)

    @property
    def down_mean_pct(self) -> float | None:
        return pct(self.down_mean_mbps, self.contracted_down_mbps)


def pct(value: float | None, of: float) -> float | None:
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
    # Open at the end of the period with a deadline already missed: a decision for the Kepala Bidang.
    overdue_since: datetime | None = None


@dataclass
class SlaRow:
    sop_id: str
    step_no: int
    role: str | None
    on_time: int = 0
    breached: int = 0
    pending: int = 0  # not done, not yet due at the end of the period

    @property
    def compliance_pct(self) -> float | None:
        judged = self.on_time + self.breached
        return self.on_time / judged * 100 if judged else None


@dataclass
class CaseSection:
    rows: list[CaseRow] = field(default_factory=list)
    opened: int = 0
    closed: int = 0  # resolved or closed this period
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


# --- the monthly recap's weeks ------------------------------------------------------------------


@dataclass
class TrendRow:
    """One week of a month (cut to the month): the figures whose course the Kepala Bidang follows."""

    label: str  # the ISO week, "2026-W47"
    start: datetime
    end: datetime
    sites_checked: int = 0
    sites_fresh: int = 0
    sites_stale: int = 0  # crit
    crawled_at: datetime | None = None
    link_samples: int = 0
    uptime_pct: float | None = None  # over every measured link's samples of the week
    outages: int = 0  # outages that began this week
    down_time_s: float = 0.0
    cases_opened: int = 0
    cases_closed: int = 0
    sla_on_time: int = 0
    sla_judged: int = 0
    steps_done: int = 0
    steps_planned: int = 0

    @property
    def sla_pct(self) -> float | None:
        return self.sla_on_time / self.sla_judged * 100 if self.sla_judged else None


@dataclass
class Report:
    """A period's report: a week (the Monday recap) or a month (the monthly recap, with `trend`)."""

    period: Period
    start: datetime
    end: datetime
    generated_at: datetime
    web: WebSection
    links: list[LinkRow]
    dns: DnsSection
    certs: CertSection
    cases: CaseSection
    steps: StepSection
    approval: dict[str, Any] | None = None  # who approved it, when, once recorded
    trend: list[TrendRow] = field(default_factory=list)  # monthly: one row per week

    @property
    def week(self) -> Period:
        """The period under its first name: the weekly report's code and templates call it week."""
        return self.period

    @property
    def outages(self) -> list[Outage]:
        return sorted((o for r in self.links for o in r.outages), key=lambda o: o.start)

    @property
    def mean_uptime_pct(self) -> float | None:
        measured = [r.uptime_pct for r in self.links if r.uptime_pct is not None]
        return sum(measured) / len(measured) if measured else None


WeeklyReport = Report
