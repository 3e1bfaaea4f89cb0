"""What needs the Kepala Bidang's decision this period, picked from the figures (no query of its own):
the short PDF and the mail lead with it, the complete tables stay in the XLSX and the console.

A Kepala Bidang approves what he can read: at 500 sites and 200 links the complete PDF was 96 pages,
most of them rows of fresh sites and healthy links.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .data import (
    CaseRow,
    CertRow,
    DriftRow,
    IntegrityRow,
    LinkRow,
    MissedRun,
    Outage,
    Report,
    SiteRow,
    SlaRow,
    StepRow,
)

OUTAGES_LISTED = 40  # the short report lists this many outages of the links it names, then "+N"
MISSED_LISTED = 60


@dataclass
class LinkIssue:
    row: LinkRow
    below_target: bool  # availability under report.availability_target_pct
    under_delivered: bool  # the SNMP check found the provider delivering under the contract
    # The OPD held at its MikroTik queue's own max-limit (queue_saturated): our cap, not the
    # provider's -- a kind of its own, never counted as under-delivery.
    queue_saturated: bool = False

    @property
    def below_or_under(self) -> bool:
        return self.below_target or self.under_delivered


@dataclass
class Exceptions:
    sites: list[SiteRow] = field(default_factory=list)  # not fresh: ageing, stale, unmeasured, no data
    integrity: list[IntegrityRow] = field(default_factory=list)
    links: list[LinkIssue] = field(default_factory=list)
    outages: list[Outage] = field(default_factory=list)  # of the links listed
    dns: list[DriftRow] = field(default_factory=list)  # still open at the period's last DNS run
    certs: list[CertRow] = field(default_factory=list)
    sla: list[SlaRow] = field(default_factory=list)  # steps with a deadline missed
    steps: list[StepRow] = field(default_factory=list)  # steps skipped, failed or over their time
    missed: list[MissedRun] = field(default_factory=list)
    cases: list[CaseRow] = field(default_factory=list)  # open, past a deadline
    letters_due: int = 0  # sites stale long enough for a letter to their OPD

    @property
    def stale(self) -> int:
        return sum(1 for r in self.sites if r.status == "crit")

    def decisions(self) -> list[tuple[str, int]]:
        """(what, how many) for page 1's "what needs you": only what is there."""
        items = [
            ("sites", len(self.sites)),
            ("letters", self.letters_due),
            ("integrity", len(self.integrity)),
            ("links", sum(1 for i in self.links if i.below_or_under)),
            ("queues", sum(1 for i in self.links if i.queue_saturated)),
            ("dns", len(self.dns)),
            ("certs", len(self.certs)),
            ("sla", sum(r.breached for r in self.sla)),
            ("steps", sum(r.skipped + r.errors + r.late for r in self.steps)),
            ("cases", len(self.cases)),
        ]
        return [(what, n) for what, n in items if n]


def pick(report: Report, settings: Any) -> Exceptions:
    """`settings`: report.* (availability_target_pct, cert_within_days, letter_after_weeks)."""
    out = Exceptions()
    out.sites = [r for r in report.web.rows if r.status != "ok"]
    out.letters_due = sum(1 for r in report.web.rows if r.weeks_stale >= settings.letter_after_weeks)
    out.integrity = list(report.web.integrity)
    target = settings.availability_target_pct
    for row in report.links:
        below = row.uptime_pct is not None and row.uptime_pct < target
        if below or row.under_delivery or row.queue_saturated:
            out.links.append(LinkIssue(row, below, bool(row.under_delivery), bool(row.queue_saturated)))
    out.links.sort(key=lambda i: (i.row.uptime_pct if i.row.uptime_pct is not None else 101, i.row.opd))
    listed = {i.row.link_id for i in out.links}
    out.outages = [o for o in report.outages if o.link_id in listed]
    out.dns = [r for r in report.dns.rows if r.fixed_at is None]
    within = settings.cert_within_days
    soon = [r for r in report.certs.rows if r.days_left is not None and r.days_left <= within]
    out.certs = [r for r in report.certs.rows if r.status != "ok" or r in soon]
    out.sla = [r for r in report.cases.sla if r.breached]
    out.steps = [r for r in report.steps.rows if r.skipped or r.errors or r.late]
    out.missed = list(report.steps.missed)
    overdue = [c for c in report.cases.rows if c.overdue_since is not None]
    out.cases = sorted(overdue, key=lambda c: (c.overdue_since, c.id))
    return out
