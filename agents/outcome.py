"""What an agent hands back to the runner: findings, its output artefact and what cases should do."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sop_registry.ledger.store import FindingRecord


@dataclass(frozen=True)
class CaseIntent:
    """For one target: open/update a case (failing) or resolve the open one (not failing)."""

    target: str
    failing: bool
    title: str = ""
    role: str | None = None
    note: str = ""
    data: dict[str, Any] | None = None


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
