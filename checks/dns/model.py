"""Typed input and results of the DNS/IP reconciliation check. No I/O here."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ..finding import Finding, Status

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class DnsSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    timeout_s: float = Field(default=2.0, gt=0)  # one query
    retries: int = Field(default=1, ge=0, le=5)  # again after a timeout only
    concurrency: int = Field(default=64, ge=1, le=4096)  # queries in flight over all servers
    zone_transfer: bool = True  # try AXFR of each zone to find records with no allocation


@dataclass(frozen=True)
class Nameserver:
    host: str  # an address: the check never resolves the server's own name
    port: int = 53

    @property
    def label(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


@dataclass(frozen=True)
class InventoryHost:
    """One server of the IP-allocation list: the name and every address allocated to it."""

    name: str  # without the trailing dot
    ips: tuple[IPAddress, ...]
    opd: str | None = None
    purpose: str | None = None

    @property
    def key(self) -> str:
        return self.name.rstrip(".").lower()


@dataclass(frozen=True)
class Answer:
    """What one server said to one question."""

    rcode: str  # NOERROR | NXDOMAIN | SERVFAIL | REFUSED | NOTAUTH | TIMEOUT | ERROR
    values: frozenset[str] = frozenset()  # addresses (canonical text) or names (lower case, no dot)
    detail: str | None = None

    @property
    def answered(self) -> bool:
        """The server gave an authoritative yes or no."""
        return self.rcode in ("NOERROR", "NXDOMAIN")


@dataclass
class ZoneData:
    """Per zone: SOA serial per server, and the address records a zone transfer returned."""

    name: str
    soa: dict[str, Answer] = field(default_factory=dict)  # server label -> answer (values: {serial})
    records: dict[str, set[str]] | None = None  # owner name -> addresses; None: no transfer
    aliases: dict[str, str] = field(default_factory=dict)  # CNAME owner -> target, from the transfer
    transfer_from: str | None = None
    transfer_error: str | None = None  # why there are no records: each server tried, with its reason
    transfer_tried: bool = False  # a server answered the SOA, so AXFR was asked (and failed, if error)
    transfer_refused: bool = False  # every server asked refused (REFUSED/NOTAUTH), none failed otherwise
    skipped: int = 0  # records of the transfer that could not be parsed, left out
    skipped_detail: list[str] = field(default_factory=list)
    failure: Finding | None = None  # reading the zone raised (a bug): its internal_error finding


@dataclass
class Observation:
    """Everything fetched in one run, keyed for the pure evaluation."""

    servers: list[str]
    forward: dict[tuple[str, str], dict[str, Answer]] = field(default_factory=dict)  # (name, A|AAAA)
    reverse: dict[str, dict[str, Answer]] = field(default_factory=dict)  # ip -> server -> PTR answer
    zones: dict[str, ZoneData] = field(default_factory=dict)
    queries: int = 0
    elapsed_s: float = 0.0
    # Questions that raised (a bug, not an answer): the name or IP asked -> its internal_error finding.
    failures: dict[str, Finding] = field(default_factory=dict)


@dataclass
class DnsResult:
    target: str
    status: Status
    kind: str  # host | orphan | zone
    opd: str | None = None
    purpose: str | None = None
    zone: str | None = None
    allocated: list[str] = field(default_factory=list)
    observed: dict[str, list[str]] = field(default_factory=dict)  # A/AAAA -> addresses
    ptr: dict[str, list[str] | None] = field(default_factory=dict)  # ip -> names (None: not checked)
    servers: dict[str, str] = field(default_factory=dict)  # server -> rcode of the A question
    findings: list[Finding] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
