"""Typed settings, targets and results of the SNMP bandwidth check. No I/O here."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..finding import Finding, Status


def _cores() -> int:
    """The cores this process may run on (a systemd CPUAffinity= or a container's cpuset included)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


# IF-MIB ifOperStatus / ifAdminStatus values, as a technician reads them.
OPER_STATUS = {
    1: "up",
    2: "down",
    3: "testing",
    4: "unknown",
    5: "dormant",
    6: "notPresent",
    7: "lowerLayerDown",
}
DOWN_STATES = {"down", "notPresent", "lowerLayerDown"}
# SNMPv3 protocols by the names net-snmp and the config use (fetch maps them onto pysnmp's).
AUTH_PROTOCOLS = ("MD5", "SHA", "SHA224", "SHA256", "SHA384", "SHA512")
PRIV_PROTOCOLS = ("DES", "3DES", "AES", "AES192", "AES256")


class SnmpSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    timeout_s: float = Field(default=2.0, gt=0)  # one request
    retries: int = Field(default=1, ge=0, le=10)
    max_repetitions: int = Field(default=25, ge=1, le=200)  # rows per GETBULK
    # Devices polled at once, all workers together. When the poll was CPU-bound in pyasn1, more only
    # queued answers until they timed out (100 at once lost 6 of 200 simulated devices; 32 lost none);
    # with wire.py's codec the simulators are the bottleneck of the bench, and 32 is kept.
    concurrency: int = Field(default=32, ge=1, le=5000)
    # Processes the poll runs in, each with a share of the devices (workers.py); 1 = in the service's
    # own process. Below 16 devices the poll stays in-process whatever this says.
    workers: int = Field(default_factory=_cores, ge=1, le=64)
    # A full walk (names, aliases, which counters exist) this often; the polls between walk only the
    # columns that change (state, counters, speed): a third of the answer to decode.
    rediscover_minutes: float = Field(default=60, ge=0)
    # Sustained over-use: every rate in the window above this share of the contracted rate.
    over_use_pct: float = Field(default=80, gt=0, le=200)
    window_minutes: float = Field(default=15, gt=0, le=24 * 60)
    # Under-delivery: the traffic sits flat (within band_pct of its top) for the whole window at a
    # level between floor_pct and below_pct of the contract -- a link held under what was bought.
    under_floor_pct: float = Field(default=50, gt=0, le=100)
    under_below_pct: float = Field(default=90, gt=0, le=100)
    plateau_band_pct: float = Field(default=5, gt=0, le=50)
    # A MikroTik queue "saturated": every rate in the window at or above this share of the queue's own
    # max-limit -- the OPD is held by our shaper, not by the provider (then no bw_under_delivery).
    # RouterOS shapes to ~97-100 % of max-limit as the queue counters see it; 90 leaves room for the
    # bursts and quiet seconds of a 5-minute interval.
    queue_saturated_pct: float = Field(default=90, gt=0, le=100)
    routeros_timeout_s: float = Field(default=5.0, gt=0)  # one RouterOS API (REST or 8728/8729) read

    @model_validator(mode="after")
    def _order(self) -> SnmpSettings:
        if self.under_floor_pct >= self.under_below_pct:
            raise ValueError(
                f"under_floor_pct ({self.under_floor_pct}) must be less than under_below_pct "
                f"({self.under_below_pct})"
            )
        return self


@dataclass(frozen=True)
class Credentials:
    community: str | None = None  # v2c
    user: str | None = None  # v3 (authPriv when both keys are given)
    auth_protocol: str = "SHA"
    auth_key: str | None = None
    priv_protocol: str = "AES"
    priv_key: str | None = None


@dataclass(frozen=True)
class Contract:
    """The bandwidth bought for the OPD link this interface carries."""

    link_id: str
    down_mbps: float
    up_mbps: float
    download: Literal["in", "out"] = "in"  # which counter carries the OPD's download


@dataclass(frozen=True)
class Watch:
    """An interface a link is bound to: by index (RouterOS may print it negative) or by name -- or a
    MikroTik queue (simple or tree) by its name (`queue`).
    `speed_mbps`: the line rate the operator knows, over what the device reports (a Sangfor reports
    10 Mbps on every port whatever the link)."""

    contract: Contract
    if_index: int | None = None
    if_name: str | None = None
    speed_mbps: float | None = None
    queue: str | None = None


@dataclass(frozen=True)
class RouterOsApi:
    """Where a MikroTik's queue limits are read (max-limit and limit-at are not in SNMP): the REST API
    of RouterOS 7 (`https://router`, Sigap appends /rest/...) or the API protocol of RouterOS 6
    (`api-ssl://router` on 8729, `api://router` on 8728). `ca_file`: the office CA, or the router's own
    certificate (pinned); `verify=False` is the explicit choice of no verification at all."""

    url: str
    username: str
    password: str = field(repr=False)
    ca_file: str | None = None
    verify: bool = True


@dataclass(frozen=True)
class Device:
    id: str  # what the officer knows it by
    host: str
    port: int = 161
    credentials: Credentials = field(default_factory=Credentials)
    watches: tuple[Watch, ...] = ()
    timeout_s: float | None = None  # the device's own, over the settings'
    retries: int | None = None
    queues: bool = False  # walk MIKROTIK-MIB's queue tables too
    routeros: RouterOsApi | None = None  # read the queues' limits there
    # Which simple-queue counter carries the download of the queue's target (RouterOS 7: BytesIn,
    # measured; see queues.py). "out" swaps the counters and the max-limit pair together.
    queue_download: Literal["in", "out"] = "in"


@dataclass
class Interface:
    """One interface row, after ifTable and ifXTable are joined."""

    index: int
    name: str
    descr: str = ""
    alias: str = ""
    admin: str | None = None
    oper: str | None = None
    speed_mbps: float | None = None
    in_octets: int | None = None
    out_octets: int | None = None
    # The counters' width as the device typed them: 64 (Counter64), 32 (Counter32, in ifTable or -- on
    # some devices -- in the ifHC columns) or 0 (no counters).
    bits: int = 0
    read_at: float | None = None  # epoch seconds the counters were read, when known
    counters: str = ""  # which columns they came from: "hc" (ifHCIn/OutOctets), "if" (ifIn/OutOctets)
    speed_from: str | None = None  # the column the speed came from: "high_speed" or "speed"


@dataclass
class DevicePoll:
    at: float  # epoch seconds of the last answer
    uptime_ticks: int | None = None
    table: dict[str, dict[int, Any]] = field(default_factory=dict)  # column -> ifIndex -> value
    error: str | None = None
    requests: int = 0
    full: bool = True  # every column walked (a discovery), or only the routine ones
    elapsed_s: float | None = None  # the poll's wall time (the service's SNMP poll-time metric)
    failure: Finding | None = None  # the poll raised (a bug, not the device): its internal_error
    # MIKROTIK-MIB queue columns (see queues.QUEUE_COLUMNS) -> queue index -> value, when walked.
    queue_table: dict[str, dict[int, Any]] | None = None
    queue_error: str | None = None  # the queue walk failed after the interface walk answered
    limits: RouterOsLimits | None = None  # what the RouterOS API said, when one is configured


@dataclass
class RouterOsLimits:
    """The queues as the RouterOS API lists them: each an object of strings, as RouterOS gives them
    (REST and the API protocol alike): name, max-limit, limit-at, disabled, parent, target, .id."""

    api: str  # "rest" or "api"
    simple: list[dict[str, str]] = field(default_factory=list)
    tree: list[dict[str, str]] = field(default_factory=list)
    error: str | None = None  # why nothing could be read (no secret in it)


@dataclass
class InterfaceResult:
    target: str
    device: str
    if_index: int
    if_name: str
    if_alias: str
    oper_status: str | None
    admin_status: str | None
    speed_mbps: float | None
    in_bps: float | None
    out_bps: float | None
    status: Status
    findings: list[Finding]
    link_id: str | None = None
    down_util_pct: float | None = None
    up_util_pct: float | None = None
    no_rate_reason: str | None = None
    memory: dict[str, Any] | None = None  # what the next run needs
    speed_suspect: bool = False  # the reported speed was exceeded by consistent counters: a placeholder


@dataclass
class QueueResult:
    """One MikroTik queue: its traffic as the OPD sees it (download = towards the queue's target) and
    its own limits in Mbps (None: not read; 0: unlimited). A tree queue has one counter and one limit:
    they stand in the fields of its `direction`, the other fields are None."""

    target: str
    device: str
    name: str
    type: Literal["simple", "tree"] | None  # None: a bound queue not found
    index: int | None
    download_bps: float | None
    upload_bps: float | None
    max_limit_down_mbps: float | None
    max_limit_up_mbps: float | None
    status: Status
    findings: list[Finding]
    limit_at_down_mbps: float | None = None
    limit_at_up_mbps: float | None = None
    disabled: bool | None = None  # None: not known (no API)
    parent: str | None = None  # a tree queue's parent: an interface, a queue or "global"
    direction: Literal["down", "up"] | None = None  # a tree queue's one direction
    direction_from: str | None = None  # "parent_link" (a link on its parent port) or "assumed"
    link_id: str | None = None
    down_util_pct: float | None = None
    up_util_pct: float | None = None
    no_rate_reason: str | None = None
    memory: dict[str, Any] | None = None


@dataclass
class DeviceResult:
    device: str
    host: str
    status: Status
    findings: list[Finding]
    interfaces: list[InterfaceResult]
    uptime_ticks: int | None = None
    memory: dict[str, Any] | None = None
    poll_s: float | None = None
    queues: list[QueueResult] = field(default_factory=list)
