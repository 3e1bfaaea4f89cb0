"""Prometheus metrics of the service, for offices that already scrape with Prometheus and Grafana.

Counters and histograms are updated as runs finish; what lives in the ledger (open cases, the outbox)
is counted when scraped, so a restarted instance reports the true queue, not zero.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from sop_registry.ledger.models import OPEN_CASE_STATES, Case, Notification

from .. import kinds
from ..outcome import AgentOutcome

log = logging.getLogger("sigap.metrics")

# A link run takes a second, a Monday crawl of 1,000 sites tens of minutes.
_RUN_BUCKETS = (0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600)
_POLL_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)


class LedgerCollector:
    """Open cases by SOP and state, notifications by status (pending is the queue), at scrape time."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def describe(self) -> list:
        return []  # no query at registration (the ledger may not be migrated yet)

    def collect(self) -> Iterator[GaugeMetricFamily]:
        up = GaugeMetricFamily("sigap_db_up", "1 if the ledger database answered this scrape")
        cases = GaugeMetricFamily("sigap_open_cases", "Open cases by SOP and state", labels=["sop", "state"])
        notes = GaugeMetricFamily(
            "sigap_notifications", "Notifications in the outbox by status", labels=["status"]
        )
        queue = GaugeMetricFamily("sigap_notification_queue_depth", "Notifications waiting to be sent")
        try:
            with Session(self.engine) as session:
                case_rows = session.execute(
                    select(Case.sop_id, Case.state, func.count())
                    .where(Case.state.in_(OPEN_CASE_STATES))
                    .group_by(Case.sop_id, Case.state)
                ).all()
                note_rows = session.execute(
                    select(Notification.status, func.count()).group_by(Notification.status)
                ).all()
        except Exception as exc:
            log.warning("metrics: ledger not readable: %s", type(exc).__name__)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        for sop_id, state, n in case_rows:
            cases.add_metric([sop_id, state], n)
        counts = dict(note_rows)
        for status in ("pending", "sent", "suppressed", "cancelled", "dead", "no_channel"):
            notes.add_metric([status], counts.get(status, 0))
        queue.add_metric([], counts.get("pending", 0))
        yield from (up, cases, notes, queue)


class ServiceMetrics:
    def __init__(self, engine: Engine | None = None) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        ProcessCollector(registry=r)  # RSS, open fds, CPU: the soak benchmark's figures, live
        PlatformCollector(registry=r)
        labels = ["sop", "step", "check"]
        self.run_seconds = Histogram(
            "sigap_step_run_duration_seconds",
            "Duration of agent step runs",
            labels,
            buckets=_RUN_BUCKETS,
            registry=r,
        )
        self.runs = Counter("sigap_step_runs", "Step runs by status", [*labels, "status"], registry=r)
        self.findings = Counter("sigap_findings", "Check results by status", ["check", "status"], registry=r)
        self.snmp_poll = Histogram(
            "sigap_snmp_poll_duration_seconds",
            "Time to poll one SNMP device",
            buckets=_POLL_BUCKETS,
            registry=r,
        )
        self.last_run = Gauge(
            "sigap_job_last_run_timestamp_seconds", "When each job last finished", ["job"], registry=r
        )
        self.sent = Counter(
            "sigap_notifications_sent", "Notification attempts that were delivered", registry=r
        )
        self.failed = Counter(
            "sigap_notification_failures", "Notification attempts a channel refused or timed out", registry=r
        )
        self.sla_sweeps = Counter("sigap_sla_sweeps", "SLA sweeps run by this instance", registry=r)
        self.leader = Gauge("sigap_leader", "1 while this instance runs the run-once jobs", registry=r)
        self.heartbeat = Gauge(
            "sigap_scheduler_heartbeat_timestamp_seconds", "Last tick of the scheduler's loop", registry=r
        )
        if engine is not None:
            r.register(LedgerCollector(engine))

    def observe_run(self, sop: str, step: int, check: str, status: str, seconds: float) -> None:
        self.run_seconds.labels(sop, str(step), check).observe(seconds)
        self.runs.labels(sop, str(step), check, status).inc()

    def observe_outcome(self, check: str, outcome: AgentOutcome) -> None:
        for finding in outcome.findings:
            self.findings.labels(check, finding.status).inc()
        spec = kinds.KINDS.get(check)
        if spec is not None and spec.poll_seconds is not None:
            for seconds in spec.poll_seconds(outcome):
                self.snmp_poll.observe(seconds)
