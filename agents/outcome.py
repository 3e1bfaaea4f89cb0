"""What an agent hands back to the runner: findings, its output artefact and what cases should do."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from checks.finding import Finding, render
from sop_registry.ledger.store import FindingRecord

from .config import Office
from .notify.messages import local_time


@dataclass(frozen=True)
class CaseIntent:
    """For one target: open/update a case (failing) or resolve the open one (not failing)."""

    target: str
    failing: bool
    title: str = ""
    role: str | None = None
    note: str = ""
    data: dict[str, Any] | None = None
    # Another SOP's step whose case this is (an SNMP port-down is a polman-15 network fault);
    # None: the step the agent runs for.
    sop_id: str | None = None
    step_no: int | None = None


@dataclass
class AgentOutcome:
    findings: list[FindingRecord]
    summary: str
    output_kind: str | None = None
    output_ref: str | None = None
    details: dict[str, Any] | None = None
    cases: list[CaseIntent] = field(default_factory=list)
    # What the check must remember until its next run (key -> JSON), written with the step run.
    states: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Measured time series points (series, time, value) for the weekly report's percentiles.
    samples: list[tuple[str, datetime, float]] = field(default_factory=list)


def _as_json_object(value: Any) -> dict[str, Any] | None:
    """The ledger stores observed values and limits as JSON objects; a bare value is wrapped."""
    return value if isinstance(value, dict) or value is None else {"value": value}


def finding_records(
    templates: Mapping[str, Mapping[str, str]],
    findings: Iterable[Finding],
    target: str,
    details: dict[str, Any],
    office: Office | None = None,
) -> list[FindingRecord]:
    """The network checks' findings as ledger rows, with the message in Indonesian and English. A
    time among a finding's params is said in the office's zone and the reader's words ("sejak Senin,
    30 Nov 2026 14.05 WITA"), never as a raw UTC timestamp, when the office is given."""
    return [
        FindingRecord(
            target=target,
            status=f.status,
            code=f.code,
            message_id=render(templates, _local(f, office, "id"), "id"),
            message_en=render(templates, _local(f, office, "en"), "en"),
            observed=_as_json_object(f.observed),
            limit=_as_json_object(f.limit),
            details=details,
        )
        for f in findings
    ]


def _local(finding: Finding, office: Office | None, lang: str) -> Finding:
    times = {k: v for k, v in finding.params.items() if isinstance(v, datetime)}
    if office is None or not times:
        return finding
    said = {k: local_time(v, office, lang) for k, v in times.items()}
    return replace(finding, params={**finding.params, **said})


def count_by(values: Iterable[str], keys: Iterable[str]) -> dict[str, int]:
    """How many of each key, zeros included, for a run's summary."""
    seen = list(values)
    return {k: seen.count(k) for k in keys}
