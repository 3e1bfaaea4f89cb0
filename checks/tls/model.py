"""Typed input and results of the certificate check. No I/O here."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..finding import Finding, Status


class TlsThresholds(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    warn_days: int = Field(default=30, ge=0)  # days left before expiry: warn at or below
    crit_days: int = Field(default=7, ge=0)

    @model_validator(mode="after")
    def _order(self) -> TlsThresholds:
        if self.crit_days > self.warn_days:
            raise ValueError(f"crit_days ({self.crit_days}) is more than warn_days ({self.warn_days})")
        return self


@dataclass(frozen=True)
class TlsTarget:
    host: str  # connect here
    port: int = 443
    server_name: str | None = None  # SNI and the name the certificate must carry; default: host
    label: str | None = None  # what the officer knows it by (site URL, endpoint id)

    @property
    def name(self) -> str:
        return self.server_name or self.host

    @property
    def target(self) -> str:
        return self.label or f"{self.name}:{self.port}"


@dataclass(frozen=True)
class TlsSettings:
    timeout_s: float = 10.0
    concurrency: int = 32
    ca_file: Path | None = None  # the office's own CA, beside the system's


@dataclass
class CertInfo:
    subject: str | None
    issuer: str | None
    not_before: datetime
    not_after: datetime
    names: list[str]  # subjectAltName DNS names and addresses
    serial: str
    self_signed: bool
    chain_length: int | None = None  # certificates the server sent, when known


@dataclass
class Probe:
    """What the handshake showed."""

    verified: bool
    cert: CertInfo | None = None
    verify_code: int | None = None  # OpenSSL X509_V_ERR_*
    verify_message: str | None = None
    error: str | None = None  # could not complete a handshake at all
    tls_version: str | None = None
    elapsed_ms: float | None = None


@dataclass
class TlsResult:
    target: str
    status: Status
    host: str
    port: int
    days_left: int | None = None
    not_after: datetime | None = None
    subject: str | None = None
    issuer: str | None = None
    names: list[str] = field(default_factory=list)
    tls_version: str | None = None
    findings: list[Finding] = field(default_factory=list)
