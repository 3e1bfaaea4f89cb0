"""Typed settings, targets and results of link monitoring. No I/O here."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..finding import Finding, Status

Method = Literal["icmp", "tcp", "http"]


class LinkSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    probes: int = Field(default=3, ge=1, le=20)  # probes per check
    probe_interval_s: float = Field(default=0.2, ge=0)  # between one target's probes
    timeout_s: float = Field(default=1.0, gt=0)  # one probe
    concurrency: int = Field(default=512, ge=1, le=10000)  # targets probed at once
    down_after: int = Field(default=3, ge=1)  # consecutive failed checks before DOWN
    up_after: int = Field(default=2, ge=1)  # consecutive good checks before UP again
    loss_warn_pct: float = Field(default=20, ge=0, le=100)
    loss_crit_pct: float = Field(default=50, ge=0, le=100)
    rtt_warn_ms: float | None = Field(default=500, gt=0)  # VSAT links sit at ~600 ms: raise it for them
    flap_history: int = Field(default=21, ge=3, le=100)  # checks weighed for flapping (Nagios: 21)
    flap_high_pct: float = Field(default=20, gt=0, le=100)  # flapping starts above this state change
    flap_low_pct: float = Field(default=5, ge=0, le=100)  # and ends below this

    @model_validator(mode="after")
    def _order(self) -> LinkSettings:
        if self.loss_crit_pct < self.loss_warn_pct:
            raise ValueError(
                f"loss_crit_pct ({self.loss_crit_pct}) is less than loss_warn_pct ({self.loss_warn_pct})"
            )
        if self.flap_low_pct > self.flap_high_pct:
            raise ValueError(
                f"flap_low_pct ({self.flap_low_pct}) is more than flap_high_pct ({self.flap_high_pct})"
            )
        return self


@dataclass(frozen=True)
class LinkTarget:
    id: str  # what the officer knows it by
    host: str  # an address or a name
    method: Method = "icmp"
    port: int | None = None  # tcp: the service port
    url: str | None = None  # http: the page to fetch
    parent: str | None = None  # upstream link id


@dataclass
class ProbeResult:
    sent: int
    received: int
    rtts_ms: list[float] = field(default_factory=list)
    method: str = "icmp"  # what was really used (icmp may fall back to tcp)
    error: str | None = None
    failure: Finding | None = None  # the probe raised (a bug, not the link): its internal_error

    @property
    def loss_pct(self) -> float:
        return 100.0 * (self.sent - self.received) / self.sent if self.sent else 100.0

    @property
    def rtt_ms(self) -> float | None:
        return round(sum(self.rtts_ms) / len(self.rtts_ms), 3) if self.rtts_ms else None


@dataclass
class LinkState:
    """What is remembered between checks, stored in the ledger as JSON."""

    state: str = "PENDING"  # PENDING | UP | DOWN | UNREACHABLE
    fails: int = 0  # consecutive failed checks
    goods: int = 0  # consecutive good checks
    history: list[bool] = field(default_factory=list)  # newest last: was the link not DOWN after it
    flapping: bool = False
    changed_at: str | None = None  # ISO time of the last state change
    changed: bool = False  # this check changed the state (not stored)
    flap_pct: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "fails": self.fails,
            "goods": self.goods,
            "history": self.history,
            "flapping": self.flapping,
            "changed_at": self.changed_at,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> LinkState:
        if not data:
            return cls()
        return cls(
            state=data.get("state", "PENDING"),
            fails=int(data.get("fails", 0)),
            goods=int(data.get("goods", 0)),
            history=[bool(x) for x in data.get("history", [])],
            flapping=bool(data.get("flapping", False)),
            changed_at=data.get("changed_at"),
        )


@dataclass
class LinkResult:
    target: str
    status: Status
    state: str  # a LinkState's, or UNKNOWN: not measured this run (internal_error), state kept
    host: str
    method: str
    loss_pct: float
    rtt_ms: float | None
    flapping: bool = False
    parent: str | None = None
    findings: list[Finding] = field(default_factory=list)
    link_state: LinkState | None = None
