"""The typed contract between what agents write into the ledger and what reports and the console read.

Kind ids (the SOP binding's `check:` and `step_runs.agent`), the names of the sample series, and the
shapes of `step_runs.details` and `findings.details` that a reader relies on. A writer builds these
types and stores `.as_json()`; a reader parses with `from_json()`: a field a writer never writes
cannot be read, and the round-trip tests run the real writer into the real reader.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError

log = logging.getLogger("sigap.ledger")

# --- kind ids ------------------------------------------------------------------------------------

WEB_FRESHNESS = "web_freshness"
DNS_IP = "dns_ip"
TLS_CERT = "tls_cert"
LINK = "link"
SNMP_BANDWIDTH = "snmp_bandwidth"

# --- sample series -------------------------------------------------------------------------------


def link_up(link_id: str) -> str:
    return f"link:{link_id}:up"


def link_rtt_ms(link_id: str) -> str:
    return f"link:{link_id}:rtt_ms"


def link_loss_pct(link_id: str) -> str:
    return f"link:{link_id}:loss_pct"


def bw_down_bps(link_id: str) -> str:
    return f"bw:{link_id}:down_bps"


def bw_up_bps(link_id: str) -> str:
    return f"bw:{link_id}:up_bps"


# --- shapes of step_runs.details and findings.details ----------------------------------------------


class Record(BaseModel):
    """A details shape: written with `as_json()`, read with `from_json()`. Readers ignore keys they
    do not know (an older or newer writer), but a field the writer does not write is simply None."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    def as_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> Self:
        return cls.model_validate(data or {})


class WebRecapRow(Record):
    """One OPD site in the crawl's recap ("Laporan rekapitulasi hasil monitoring"): step_runs.details
    ["recap"] of a web_freshness run, read by the weekly report's website table."""

    site_id: str | None = None
    opd: str
    url: str
    status: str
    latest_published: datetime | None = None  # ISO 8601 in the office's zone
    latest_local: str = ""
    age_days: int | None = None
    source: str | None = None
    item_url: str | None = None
    title: str | None = None  # the newest item's title as the site wrote it (untrusted, at most 300 chars)
    agenda_updated: datetime | None = None
    agenda_found: bool | None = None
    completeness_score: float | None = None
    missing_sections: list[str] = Field(default_factory=list)
    cms: str | None = None
    findings: list[str] = Field(default_factory=list)  # the messages of the site's non-ok findings


class WebRunDetails(Record):
    counts: dict[str, int] = Field(default_factory=dict)
    recap: list[WebRecapRow] = Field(default_factory=list)


def readable_recap(run_id: int, details: Any) -> list[WebRecapRow]:
    """A crawl's recap rows as far as they can be read. A row some other writer (an older Sigap, a
    hand-made import) left unreadable costs that row, said in the log, not the console page or the
    weekly report that reads the crawl: the others are read one by one."""
    raw = details.get("recap", []) if isinstance(details, dict) else []
    try:
        return WebRunDetails.from_json({"recap": raw}).recap
    except ValidationError:
        pass
    rows = []
    for i, item in enumerate(raw if isinstance(raw, list) else []):
        try:
            rows.append(WebRecapRow.model_validate(item))
        except ValidationError as exc:
            why = exc.errors()[0]["msg"]
            log.warning("crawl run #%s: recap row %d unreadable, left out (%s)", run_id, i, why)
    return rows


class CertFindingDetails(Record):
    """findings.details of a tls_cert finding: what the weekly report's certificate table shows."""

    opd: str | None = None
    host: str
    port: int
    not_after: datetime | None = None  # the certificate's expiry (UTC)
    days_left: int | None = None
    issuer: str | None = None


class MeasuredBy(Record):
    """step_runs.details of a step whose evidence is another step's measurement (shared job)."""

    run_id: int
    sop: str
    step: int


class SharedRunDetails(Record):
    measured_by: MeasuredBy


class DnsFindingDetails(Record):
    """findings.details of a dns_ip finding: the weekly report's DNS drift table reads the OPD."""

    kind: str  # host | orphan | zone
    opd: str | None = None
    zone: str | None = None


class LinkFindingDetails(Record):
    """findings.details of a link finding."""

    opd: str
    host: str | None = None
    state: str | None = None  # UP | DOWN | UNREACHABLE | PENDING
    provider: str | None = None


class LeadFinding(Record):
    """The worst finding about a case's target, kept in the case's data ("first", "last"): what a
    notification says failed, with the observed value and the limit."""

    code: str | None = None  # always written; a case's data from before this shape may lack them
    status: str | None = None
    message_id: str | None = None
    message_en: str | None = None
    observed: dict[str, Any] | None = None
    limit: dict[str, Any] | None = None

    def message(self, lang: str) -> str | None:
        return (self.message_en if lang == "en" else None) or self.message_id


class FindingEntry(Record):
    """One finding as a `sigap check ... --json` line lists it (checks.finding.as_dicts)."""

    code: str
    status: str | None = None
    message: str | None = None
    observed: dict[str, Any] | None = None
    limit: dict[str, Any] | None = None


class QueueLinkRow(Record):
    """A MikroTik queue an OPD link is bound to, as one poll saw it: step_runs.details["queues"] of an
    snmp_bandwidth run (the keys of `sigap check snmp --queues --json`), read by the weekly report's
    link table (the queue's name and max-limit beside the link's p95).

    Download is the traffic towards the queue's target (the OPD). A limit is None when it was not read
    (no RouterOS API, or the API failed) and 0 when the queue is unlimited ("0/0"); a tree queue has one
    rate and one limit, in the fields of its `direction`, the other direction's None."""

    kind: Literal["queue"] = "queue"
    target: str | None = None
    device: str | None = None
    name: str
    type: Literal["simple", "tree"] | None = None  # None: a bound queue that was not found
    index: int | None = None
    download_bps: int | None = None
    upload_bps: int | None = None
    max_limit_down_mbps: float | None = None
    max_limit_up_mbps: float | None = None
    limit_at_down_mbps: float | None = None
    limit_at_up_mbps: float | None = None
    disabled: bool | None = None
    parent: str | None = None
    direction: Literal["down", "up"] | None = None
    direction_from: str | None = None
    link: str | None = None
    down_util_pct: float | None = None
    up_util_pct: float | None = None
    no_rate_reason: str | None = None
    status: str | None = None
    findings: list[FindingEntry] = Field(default_factory=list)

    @property
    def codes(self) -> list[str]:
        return [f.code for f in self.findings]

    @property
    def limit_read(self) -> bool:
        """The poll read the queue's max-limit (in at least one direction: a tree queue has one)."""
        return self.max_limit_down_mbps is not None or self.max_limit_up_mbps is not None


class SnmpRunDetails(Record):
    """step_runs.details of an snmp_bandwidth run. `devices` and `links` are the `--json` lines of the
    devices and of the interfaces links are bound to (not read as records yet); `queues` the queues
    links are bound to. A run from before the queues has none."""

    devices: list[dict[str, Any]] = Field(default_factory=list)
    links: list[dict[str, Any]] = Field(default_factory=list)
    queues: list[QueueLinkRow] = Field(default_factory=list)
