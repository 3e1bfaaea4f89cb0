"""The operator's config file: office, database, targets (inventory), notification channels, overrides.

One YAML file, validated strictly: unknown keys are refused and every error names the file and the
key path. Names carry units (`timeout_s`, `contracted_down_mbps`). Secrets may be written inline, or
as `{env: NAME}` / `{file: PATH}`; they are held as SecretStr and print as '**********'.
"""

from __future__ import annotations

import csv
import ipaddress
import os
import re
from datetime import date, datetime, time, timedelta
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays as holidays_lib
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from sqlalchemy.engine import make_url

from checks.dns.model import DnsSettings, Nameserver
from checks.link.model import LinkSettings
from checks.snmp.model import SnmpSettings
from checks.web.model import DEFAULT_SECTIONS, CrawlSettings
from sop_registry.calendar import WorkingCalendar
from sop_registry.errors import InputError
from sop_registry.ledger.cases import CasePolicy
from sop_registry.loader import Registry
from sop_registry.schema import WEEKDAYS, Schedule, TimeWindow
from sop_registry.yamlio import format_validation_error, load_yaml_file

DEFAULT_CONFIG_PATH = Path("/etc/sigap/sigap.yaml")
DEFAULT_STATE_DIR = Path("/var/lib/sigap")
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$"

# Indonesia's three time zones, as officers write them.
_TZ_LABELS = {
    "Asia/Jakarta": "WIB",
    "Asia/Pontianak": "WIB",
    "Asia/Makassar": "WITA",
    "Asia/Jayapura": "WIT",
}


def _read_secret(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    if set(value) == {"env"}:
        name = str(value["env"])
        if name not in os.environ:
            raise ValueError(f"environment variable {name} is not set")
        return os.environ[name]
    if set(value) == {"file"}:
        path = Path(str(value["file"])).expanduser()
        try:
            return path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ValueError(f"cannot read secret file {path}: {exc.strerror or exc}") from None
    raise ValueError("a secret is a string, {env: NAME} or {file: PATH}")


Secret = Annotated[SecretStr, BeforeValidator(_read_secret)]
Identifier = Annotated[str, Field(pattern=ID_PATTERN, max_length=128)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


# --- office -------------------------------------------------------------------------------------


class HolidayExtra(Strict):
    date: date
    name: str = Field(min_length=1)


class HolidaySettings(Strict):
    """Indonesia's national holidays and cuti bersama come from the `holidays` package."""

    country: Literal["ID"] = "ID"
    cuti_bersama: bool = True  # include the government's joint leave days ("government" category)
    extra: list[HolidayExtra] = Field(default_factory=list)  # local holidays, office closures


def _default_hours() -> list[TimeWindow]:
    return [
        TimeWindow(days=["mon", "tue", "wed", "thu"], start=time(8, 0), end=time(16, 0)),
        TimeWindow(days=["fri"], start=time(8, 0), end=time(16, 30)),
    ]


class Office(Strict):
    name: str = Field(min_length=1)  # "Dinas Kominfo Kabupaten Polewali Mandar"
    short_name: str | None = None
    timezone: str
    language: Literal["id", "en"] = "id"
    working_hours: list[TimeWindow] = Field(default_factory=_default_hours, min_length=1)
    holidays: HolidaySettings = Field(default_factory=HolidaySettings)
    logo: Path | None = None
    kepala_bidang: str | None = None  # who approves the weekly recap

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {value!r} (e.g. Asia/Jakarta, Asia/Makassar, Asia/Jayapura)"
            ) from None
        return value

    @model_validator(mode="after")
    def _no_overlap(self) -> Office:
        seen: dict[str, int] = {}
        for i, window in enumerate(self.working_hours):
            for day in window.days:
                if day in seen:
                    raise ValueError(
                        f"working_hours[{i}]: {day} already covered by working_hours[{seen[day]}]"
                    )
                seen[day] = i
        return self

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def zone_label(self) -> str:
        """WIB/WITA/WIT for Indonesian zones, the zone name otherwise."""
        return _TZ_LABELS.get(self.timezone, self.timezone)

    def local_text(self, when: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
        """A stored UTC time as the officer reads it: office time with WIB/WITA/WIT ("" for none)."""
        if when is None:
            return ""
        return when.astimezone(self.zone).strftime(fmt) + " " + self.zone_label

    def holiday_calendar(self, years: list[int] | range) -> dict[date, str]:
        categories = ("public", "government") if self.holidays.cuti_bersama else ("public",)
        table = holidays_lib.country_holidays(
            self.holidays.country, years=list(years), categories=categories, language=self.language
        )
        calendar = dict(table.items())
        for extra in self.holidays.extra:
            if extra.date.year in years:
                calendar[extra.date] = extra.name
        return calendar

    def working_calendar(self) -> WorkingCalendar:
        """Working hours, weekends and holidays: the calendar the SOPs' time standards run on."""
        hours = {WEEKDAYS.index(d): (w.start, w.end) for w in self.working_hours for d in w.days}
        return WorkingCalendar(self.zone, hours, lambda year: self.holiday_calendar([year]))


# --- database -----------------------------------------------------------------------------------


class Database(Strict):
    url: str = Field(min_length=1)  # sqlite:///sigap.db (inside state_dir) or postgresql://user@host/db
    password: Secret | None = None  # kept out of the URL so the URL can be logged

    @field_validator("url")
    @classmethod
    def _parses(cls, value: str) -> str:
        try:
            parsed = make_url(value)
        except Exception:
            raise ValueError(f"cannot parse database URL {value!r}") from None
        if parsed.get_backend_name() not in {"sqlite", "postgresql"}:
            raise ValueError(f"unsupported database {parsed.get_backend_name()!r} (use sqlite or postgresql)")
        if parsed.password is not None:
            raise ValueError(
                "put the password in database.password ({env: NAME} or {file: PATH}), not in the URL"
            )
        return value


# --- targets (the inventory) --------------------------------------------------------------------


class Contact(Strict):
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    telegram: str | None = None


class Website(Strict):
    id: Identifier
    opd: str = Field(min_length=1)
    url: str
    admin: Contact | None = None
    owned_by_office: bool = False  # the office runs the site: robots.txt need not stop the crawl
    warn_after_days: int | None = Field(default=None, gt=0)
    crit_after_days: int | None = Field(default=None, gt=0)
    agenda_warn_after_days: int | None = Field(default=None, gt=0)
    probe: str | None = None

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {value!r}")
        return value


class Server(Strict):
    """One entry of the IP-allocation list ("daftar penggunaan IP server")."""

    name: Annotated[str, Field(pattern=r"^[A-Za-z0-9_]([A-Za-z0-9_\-.]*[A-Za-z0-9])?\.?$", max_length=253)]
    ips: list[ipaddress.IPv4Address | ipaddress.IPv6Address] = Field(min_length=1)
    opd: str | None = None
    purpose: str | None = None
    probe: str | None = None


class SnmpV3(Strict):
    user: str = Field(min_length=1)
    auth_protocol: Literal["MD5", "SHA", "SHA224", "SHA256", "SHA384", "SHA512"] = "SHA"
    auth_key: Secret
    priv_protocol: Literal["DES", "3DES", "AES", "AES192", "AES256"] = "AES"
    priv_key: Secret


class SnmpDevice(Strict):
    id: Identifier
    host: str = Field(min_length=1)
    port: int = Field(default=161, ge=1, le=65535)
    version: Literal["v2c", "v3"] = "v2c"
    community: Secret | None = None
    v3: SnmpV3 | None = None
    timeout_s: float = Field(default=2.0, gt=0)
    retries: int = Field(default=1, ge=0, le=10)
    probe: str | None = None

    @model_validator(mode="after")
    def _credentials(self) -> SnmpDevice:
        if self.version == "v2c" and self.community is None:
            raise ValueError("version v2c needs community")
        if self.version == "v3" and self.v3 is None:
            raise ValueError("version v3 needs v3 (user, auth_key, priv_key)")
        return self


class Link(Strict):
    """An OPD's network link, with the bandwidth the provider contracted to deliver."""

    id: Identifier
    opd: str = Field(min_length=1)
    host: str | None = None  # address to probe for availability (the OPD's router, its gateway)
    method: Literal["icmp", "tcp", "http"] = "icmp"  # icmp falls back to tcp where it is not permitted
    port: int | None = Field(default=None, ge=1, le=65535)  # tcp: the service that must answer
    url: str | None = None  # http: a page behind the link
    contracted_down_mbps: float = Field(gt=0)
    contracted_up_mbps: float = Field(gt=0)
    device: str | None = None  # snmp_devices[].id
    if_index: int | None = Field(default=None, ge=-(2**31), le=2**32 - 1)  # RouterOS may show it negative
    if_name: str | None = None
    # Which counter carries the OPD's download: "in" on the OPD router's uplink, "out" on a port of the
    # data-centre switch that faces the OPD.
    download: Literal["in", "out"] = "in"
    parent: str | None = None  # upstream link: its outage explains this one's
    provider: str | None = None  # ISP, for escalation records
    probe: str | None = None

    @model_validator(mode="after")
    def _interface(self) -> Link:
        if self.device and self.if_index is None and not self.if_name:
            raise ValueError("a link with a device needs if_index or if_name")
        if (self.if_index is not None or self.if_name) and not self.device:
            raise ValueError("if_index/if_name need device")
        return self


class TlsEndpoint(Strict):
    """A TLS service that is not a website (mail, VPN portal, API) whose certificate must stay valid."""

    id: Identifier
    host: str = Field(min_length=1)
    port: int = Field(default=443, ge=1, le=65535)
    server_name: str | None = None  # SNI and the name the certificate must carry; default: host
    opd: str | None = None
    warn_days: int | None = Field(default=None, ge=0)
    crit_days: int | None = Field(default=None, ge=0)
    probe: str | None = None


class Targets(Strict):
    websites: list[Website] = Field(default_factory=list)
    tls_endpoints: list[TlsEndpoint] = Field(default_factory=list)
    servers: list[Server] = Field(default_factory=list)
    servers_csv: Path | None = None  # hostname,ip,opd,purpose; merged into servers
    snmp_devices: list[SnmpDevice] = Field(default_factory=list)
    links: list[Link] = Field(default_factory=list)

    @model_validator(mode="after")
    def _references(self) -> Targets:
        for section in ("websites", "tls_endpoints", "snmp_devices", "links"):
            _unique([item.id for item in getattr(self, section)], section, "id")
        _unique([s.name.rstrip(".").lower() for s in self.servers], "servers", "name")
        devices = {d.id for d in self.snmp_devices}
        links = {link.id: link for link in self.links}
        for i, link in enumerate(self.links):
            if link.device and link.device not in devices:
                raise ValueError(f"links[{i}].device: no snmp_devices entry with id {link.device!r}")
            if link.parent and link.parent not in links:
                raise ValueError(f"links[{i}].parent: no link with id {link.parent!r}")
        for link in self.links:  # a parent chain must end, or grouping alerts would loop
            seen, cur = {link.id}, link.parent
            while cur:
                if cur in seen:
                    raise ValueError(f"links: parent chain of {link.id!r} loops through {cur!r}")
                seen.add(cur)
                cur = links[cur].parent
        return self


SettingsT = TypeVar("SettingsT", bound=BaseModel)


def layered_settings(
    model: type[SettingsT], section: BaseModel, thresholds: dict[str, Any] | None, override: dict[str, Any]
) -> SettingsT:
    """A check's settings: its config section, then the SOP binding's thresholds, then the agents
    override; keys the settings model does not have are left to other layers' readers."""
    values = section.model_dump(exclude_defaults=True)
    for layer in (thresholds or {}, override):
        values.update({k: v for k, v in layer.items() if k in model.model_fields})
    return model(**values)


def runs_here(target_probe: str | None, instance_probe: str | None) -> bool:
    """Is a target this instance's? Unlabelled targets, and instances without a label, take all."""
    return not (target_probe and instance_probe and target_probe != instance_probe)


def _unique(values: list[str], section: str, key: str) -> None:
    seen: set[str] = set()
    for i, value in enumerate(values):
        if value in seen:
            raise ValueError(f"{section}[{i}].{key}: duplicate {value!r}")
        seen.add(value)


# --- notification, overrides ------------------------------------------------------------------


class NotifyChannel(Strict):
    id: Identifier
    url: Secret  # an apprise URL: tgram://..., mailtos://..., json://... (tokens are secrets)
    roles: list[str] = Field(default_factory=list)  # SOP pelaksana roles this channel reaches
    language: Literal["id", "en"] | None = None
    enabled: bool = True


class NotifyRetry(Strict):
    """How hard the worker tries: a Telegram outage during an ISP failover must not lose an alert."""

    attempts_per_channel: int = Field(default=3, ge=1, le=100)  # then the role's next channel
    backoff_s: float = Field(default=30, gt=0)  # doubled each failed attempt...
    max_backoff_s: float = Field(default=900, gt=0)  # ...up to this
    give_up_after_hours: float = Field(default=48, gt=0)  # then `dead`, and logged


class Notify(Strict):
    channels: list[NotifyChannel] = Field(default_factory=list)
    retry: NotifyRetry = Field(default_factory=NotifyRetry)
    # A recovery is held this long before it is sent: a link that fails again at once sends nothing.
    resolve_hold_minutes: float = Field(default=10, ge=0)
    max_targets_listed: int = Field(default=15, ge=1)  # a grouped message lists this many, then "+N"
    poll_s: float = Field(default=5, gt=0)  # the worker looks at the outbox this often
    send_timeout_s: float = Field(default=30, gt=0)  # one attempt through one channel

    @model_validator(mode="after")
    def _ids(self) -> Notify:
        _unique([c.id for c in self.channels], "channels", "id")
        return self

    def channels_for(self, role: str | None) -> list[str]:
        """The channels that reach a role, in config order (the first is tried first, the others
        are its fallbacks); channels with role "*" reach every role."""
        enabled = [c for c in self.channels if c.enabled]
        exact = [c.id for c in enabled if role and role in c.roles]
        return exact + [c.id for c in enabled if "*" in c.roles and c.id not in exact]


class EscalationLevel(Strict):
    after_breach_minutes: float = Field(ge=0)
    roles: list[Annotated[str, Field(min_length=1)]] = Field(min_length=1)


def _default_escalation() -> list[EscalationLevel]:
    return [EscalationLevel(after_breach_minutes=60, roles=["Kepala Bidang TIP"])]


class CaseSettings(Strict):
    """Cases: when they resolve and reopen, reminders, and who hears of a breach after the step's role."""

    resolve_after_good: int = Field(default=1, ge=1)  # good checks before an agent's case resolves
    reopen_within_minutes: float = Field(default=60, ge=0)  # a failure this soon reopens the case
    close_after_days: float = Field(default=7, gt=0)  # a resolved case is closed (final) after this
    round_the_clock_sops: list[str] = Field(default_factory=list)  # minutes count outside office hours
    remind_every_minutes: float = Field(default=240, gt=0)  # while nobody has acknowledged it...
    max_reminders: int = Field(default=2, ge=0)  # ...this many times per step
    escalation: list[EscalationLevel] = Field(default_factory=_default_escalation)


class FreshnessLimits(Strict):
    """Website freshness limits; unset keys fall through to the wider level (site > OPD > web > SOP)."""

    warn_after_days: int | None = Field(default=None, gt=0)
    crit_after_days: int | None = Field(default=None, gt=0)
    agenda_warn_after_days: int | None = Field(default=None, gt=0)


class WebSettings(FreshnessLimits):
    """The website freshness agent: crawl politeness, limits, per-OPD limits, required sections."""

    crawl: CrawlSettings = Field(default_factory=CrawlSettings)
    opd: dict[str, FreshnessLimits] = Field(default_factory=dict)  # keyed by websites[].opd
    # Sections a site must have (Polewali Mandar 07): name -> words that show it in a link.
    sections: dict[str, list[Annotated[str, Field(min_length=1)]]] = Field(
        default_factory=lambda: dict(DEFAULT_SECTIONS)
    )


def parse_host_port(text: str, default_port: int) -> tuple[str, int]:
    """HOST, HOST:PORT, [V6]:PORT or a bare IPv6 address -> (host, port); ValueError names the problem."""
    text = text.strip()
    host, port = text, default_port
    if text.startswith("["):
        host, sep, rest = text[1:].partition("]")
        if not sep or (rest and not rest.startswith(":")):
            raise ValueError(f"{text!r}: expected [ADDRESS]:PORT")
        port_text = rest[1:]
        if port_text:
            port = _port(text, port_text)
    elif text.count(":") == 1:
        host, port_text = text.split(":")
        port = _port(text, port_text)
    if not host:
        raise ValueError(f"{text!r}: no host")
    return host, port


def _port(text: str, port_text: str) -> int:
    if not port_text.isdigit() or not 1 <= int(port_text) <= 65535:
        raise ValueError(f"{text!r}: port must be 1-65535")
    return int(port_text)


def nameserver(text: str) -> Nameserver:
    host, port = parse_host_port(text, 53)
    try:
        ipaddress.ip_address(host)
    except ValueError:
        # Resolving the server's own name would ask the machine's resolver, which the check avoids.
        raise ValueError(f"{text!r}: give the server's IP address, not a name") from None
    return Nameserver(host, port)


class DnsConfig(DnsSettings):
    """The DNS/IP reconciliation agent: the zones' authoritative servers, checked against targets.servers."""

    nameservers: list[str] = Field(default_factory=list)  # "IP" or "IP:PORT", every authoritative server
    zones: list[str] = Field(default_factory=list)  # zones to transfer and search for orphan records

    @field_validator("nameservers")
    @classmethod
    def _servers(cls, value: list[str]) -> list[str]:
        for text in value:
            nameserver(text)
        return value

    @field_validator("zones")
    @classmethod
    def _zones(cls, value: list[str]) -> list[str]:
        return [z.strip().rstrip(".").lower() for z in value]

    def servers(self) -> list[Nameserver]:
        return [nameserver(text) for text in self.nameservers]


class TlsConfig(Strict):
    """The certificate agent: every https website and every targets.tls_endpoints entry."""

    warn_days: int = Field(default=30, ge=0)
    crit_days: int = Field(default=7, ge=0)
    timeout_s: float = Field(default=10.0, gt=0)
    concurrency: int = Field(default=32, ge=1, le=1024)
    ca_file: Path | None = None  # the office's own CA (internal services), beside the system's


class LinkConfig(LinkSettings):
    """Link monitoring: probes per check, limits, DOWN/UP counts and flapping (targets.links)."""


class SnmpConfig(SnmpSettings):
    """SNMP bandwidth: timeouts, GETBULK size, over-use and under-delivery limits (targets.snmp_devices)."""


class AgentOverride(Strict):
    enabled: bool = True
    schedule: Schedule | None = None
    thresholds: dict[str, int | float | str | bool] = Field(default_factory=dict)


class HttpSettings(Strict):
    """The service's health and metrics endpoint (/healthz, /metrics)."""

    enabled: bool = True
    listen: str = "127.0.0.1:9120"  # HOST:PORT or [V6]:PORT; loopback unless a scraper elsewhere needs it

    @field_validator("listen")
    @classmethod
    def _listen(cls, value: str) -> str:
        host, _port = parse_host_port(value, 9120)
        try:
            ipaddress.ip_address(host)
        except ValueError:
            raise ValueError(f"{value!r}: listen on an IP address (127.0.0.1:9120, [::1]:9120)") from None
        return value

    def address(self) -> tuple[str, int]:
        return parse_host_port(self.listen, 9120)


class Smtp(Strict):
    """The office's mail server for the weekly report: STARTTLS on 587 with a login, as most have."""

    host: str = Field(min_length=1)
    port: int | None = Field(default=None, ge=1, le=65535)  # default: 587 starttls, 465 ssl, 25 none
    security: Literal["starttls", "ssl", "none"] = "starttls"
    username: str | None = None
    password: Secret | None = None
    sender: str = Field(min_length=3)  # From: "Sigap Diskominfo <sigap@kominfo.example.go.id>"
    ca_file: Path | None = None  # the office's own CA, for a mail server with an internal certificate
    timeout_s: float = Field(default=30, gt=0)

    @property
    def effective_port(self) -> int:
        return self.port or {"starttls": 587, "ssl": 465, "none": 25}[self.security]


class ReportSettings(Strict):
    """The weekly report to the Kepala Bidang: which SOP it serves, who gets it, when it goes."""

    # The monitoring SOP whose step 2 (report to the Kepala Bidang), step 3 (approval, "Disposisi") and
    # step 4 (archive) the report is the output of.
    sop: str = "kaltim-monitoring-website"
    deliver_step: int = Field(default=2, ge=1)
    approve_step: int = Field(default=3, ge=1)
    archive_step: int = Field(default=4, ge=1)
    language: Literal["id", "en"] | None = None  # default: office.language
    recipients: list[Annotated[str, Field(min_length=3)]] = Field(default_factory=list)
    cc: list[Annotated[str, Field(min_length=3)]] = Field(default_factory=list)
    attach: list[Literal["pdf", "xlsx", "html"]] = Field(default_factory=lambda: ["pdf", "xlsx"])
    smtp: Smtp | None = None
    # `sigap serve` sends last week's report on this day, not before this office time, and (with
    # after_crawl) once that morning's website crawl has finished, or wait_for_crawl_hours later.
    auto_send: bool = True
    send_day: Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"] = "mon"
    send_after: time = time(7, 0)
    after_crawl: bool = True
    wait_for_crawl_hours: float = Field(default=4, ge=0)
    retry_minutes: float = Field(default=30, gt=0)  # a failed send is tried again after this...
    max_attempts: int = Field(default=5, ge=1)  # ...this many times a week
    check_every_s: float = Field(default=60, gt=0)

    @model_validator(mode="after")
    def _deliverable(self) -> ReportSettings:
        if self.recipients and self.smtp is None:
            raise ValueError("recipients given but no smtp server to send through (report.smtp)")
        return self


class ServiceSettings(Strict):
    """`sigap serve`: catch-up after downtime, stopping, the SLA clock's pace."""

    # A calendar run (the Monday crawl) missed while the server was off runs once at start if it was
    # due at most this long ago; older ones are recorded as skipped.
    catch_up_hours: float = Field(default=48, ge=0)
    stop_timeout_s: float = Field(default=7, gt=0)  # SIGTERM: in-flight checks get this long to finish
    sla_every_s: float = Field(default=30, gt=0)  # the SLA sweep (on the leader instance)
    leader_retry_s: float = Field(default=5, gt=0)  # a standby instance tries to take over this often


class Config(Strict):
    office: Office
    database: Database
    state_dir: Path | None = None
    sop_dirs: list[Path] = Field(default_factory=list)  # the office's own SOP files, beside the bundled ones
    probe: str | None = None  # this instance's probe label (targets with another label are not ours)
    targets: Targets = Field(default_factory=Targets)
    notify: Notify = Field(default_factory=Notify)
    cases: CaseSettings = Field(default_factory=CaseSettings)
    web: WebSettings = Field(default_factory=WebSettings)
    dns: DnsConfig = Field(default_factory=DnsConfig)
    tls: TlsConfig = Field(default_factory=TlsConfig)
    link: LinkConfig = Field(default_factory=LinkConfig)
    snmp: SnmpConfig = Field(default_factory=SnmpConfig)
    agents: dict[str, AgentOverride] = Field(default_factory=dict)  # "polman-15" or "polman-15:3"
    http: HttpSettings = Field(default_factory=HttpSettings)
    service: ServiceSettings = Field(default_factory=ServiceSettings)
    report: ReportSettings = Field(default_factory=ReportSettings)

    @field_validator("agents")
    @classmethod
    def _agent_keys(cls, value: dict[str, AgentOverride]) -> dict[str, AgentOverride]:
        for key in value:
            if not re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*(?::\d+)?", key):
                raise ValueError(f"agents key {key!r}: expected SOP-ID or SOP-ID:STEP")
        return value

    @model_validator(mode="after")
    def _web_opds(self) -> Config:
        known = {w.opd for w in self.targets.websites}
        for opd in self.web.opd:
            if opd not in known:
                raise ValueError(f"web.opd: {opd!r} is not the opd of any targets.websites entry")
        return self

    # Set by load_config: where the file was, for messages. Private, so a YAML key cannot set it.
    _source_path: Path | None = PrivateAttr(default=None)

    @property
    def source_path(self) -> Path | None:
        return self._source_path

    @cached_property
    def resolved_state_dir(self) -> Path:
        if self.state_dir is not None:
            return self.state_dir
        # STATE_DIRECTORY is set by systemd's StateDirectory=
        for var in ("SIGAP_STATE_DIR", "STATE_DIRECTORY"):
            if os.environ.get(var):
                return Path(os.environ[var].split(":")[0])
        return DEFAULT_STATE_DIR

    def database_url(self) -> str:
        """The URL to connect with: relative SQLite paths live in the state directory, password filled in."""
        url = make_url(self.database.url)
        if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
            path = Path(url.database).expanduser()
            if not path.is_absolute():
                url = url.set(database=str(self.resolved_state_dir / path))
        if self.database.password is not None:
            url = url.set(password=self.database.password.get_secret_value())
        return url.render_as_string(hide_password=False)

    def database_url_redacted(self) -> str:
        return make_url(self.database_url()).render_as_string(hide_password=True)

    def case_policy(self) -> CasePolicy:
        return CasePolicy(
            calendar=self.office.working_calendar(),
            round_the_clock=frozenset(self.cases.round_the_clock_sops),
            resolve_after_good=self.cases.resolve_after_good,
            reopen_within=timedelta(minutes=self.cases.reopen_within_minutes),
        )

    def check_against(self, registry: Registry) -> None:
        """Cross-checks that need the SOP registry: override keys must name real SOPs and steps."""
        for i, sop_id in enumerate(self.cases.round_the_clock_sops):
            if sop_id not in registry.sops:
                raise InputError(
                    f"{self.source_path}: cases.round_the_clock_sops[{i}]: unknown SOP id {sop_id!r}"
                )
        report = self.report
        if report.sop not in registry.sops:
            raise InputError(f"{self.source_path}: report.sop: unknown SOP id {report.sop!r}")
        steps = {s.no for s in registry.sops[report.sop].steps}
        for key in ("deliver_step", "approve_step", "archive_step"):
            if getattr(report, key) not in steps:
                raise InputError(
                    f"{self.source_path}: report.{key}: {report.sop} has no step {getattr(report, key)}"
                )
        for key in self.agents:
            sop_id, _, step = key.partition(":")
            if sop_id not in registry.sops:
                raise InputError(f"{self.source_path}: agents.{key}: unknown SOP id {sop_id!r}")
            if step and int(step) not in {s.no for s in registry.sops[sop_id].steps}:
                raise InputError(f"{self.source_path}: agents.{key}: {sop_id} has no step {step}")


def _resolve_paths(data: dict[str, Any], base: Path) -> None:
    """Relative paths in the file are relative to the file, not to wherever sigap was started."""

    def fix(value: Any) -> Any:
        if isinstance(value, str) and value and not Path(value).expanduser().is_absolute():
            return str(base / value)
        return value

    if "state_dir" in data:
        data["state_dir"] = fix(data["state_dir"])
    if isinstance(data.get("sop_dirs"), list):
        data["sop_dirs"] = [fix(v) for v in data["sop_dirs"]]
    targets = data.get("targets")
    if isinstance(targets, dict) and "servers_csv" in targets:
        targets["servers_csv"] = fix(targets["servers_csv"])
    tls = data.get("tls")
    if isinstance(tls, dict) and tls.get("ca_file"):
        tls["ca_file"] = fix(tls["ca_file"])
    office = data.get("office")
    if isinstance(office, dict) and "logo" in office:
        office["logo"] = fix(office["logo"])
    smtp = (data.get("report") or {}).get("smtp") if isinstance(data.get("report"), dict) else None
    if isinstance(smtp, dict) and smtp.get("ca_file"):
        smtp["ca_file"] = fix(smtp["ca_file"])


def read_servers_csv(path: Path) -> list[dict[str, Any]]:
    """The IP-allocation list as CSV: header hostname,ip,opd,purpose (extra columns ignored).

    A host listed on several rows gets all its addresses.
    """
    try:
        handle = path.open(newline="", encoding="utf-8-sig")  # Excel writes a BOM
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None
    with handle:
        reader = csv.DictReader(handle)
        header = [h.strip().lower() for h in (reader.fieldnames or [])]
        missing = {"hostname", "ip"} - set(header)
        if missing:
            raise InputError(
                f"{path}: line 1: header lacks {', '.join(sorted(missing))} (want hostname,ip,opd,purpose)"
            )
        reader.fieldnames = header
        hosts: dict[str, dict[str, Any]] = {}
        for row in reader:
            line = reader.line_num
            name = (row.get("hostname") or "").strip().rstrip(".")
            ip_text = (row.get("ip") or "").strip()
            if not name and not ip_text:
                continue
            if not name or not ip_text:
                raise InputError(f"{path}: line {line}: hostname and ip are both required")
            try:
                ipaddress.ip_address(ip_text)
            except ValueError:
                raise InputError(f"{path}: line {line}: ip: not an IP address: {ip_text!r}") from None
            entry = hosts.setdefault(name.lower(), {"name": name, "ips": [], "opd": None, "purpose": None})
            if ip_text not in entry["ips"]:
                entry["ips"].append(ip_text)
            entry["opd"] = entry["opd"] or (row.get("opd") or "").strip() or None
            entry["purpose"] = entry["purpose"] or (row.get("purpose") or "").strip() or None
    return list(hosts.values())


def config_path_from(cli_value: Path | None) -> tuple[Path, bool]:
    """(path, explicit): --config, else $SIGAP_CONFIG, else the default. Explicit paths must exist."""
    if cli_value is not None:
        return cli_value, True
    if os.environ.get("SIGAP_CONFIG"):
        return Path(os.environ["SIGAP_CONFIG"]), True
    return DEFAULT_CONFIG_PATH, False


def load_config(path: Path) -> Config:
    if not path.exists():
        raise InputError(f"{path}: config file not found (use --config or SIGAP_CONFIG)")
    data = load_yaml_file(path)
    if data is None:
        raise InputError(f"{path}: empty config (needs at least office and database)")
    if not isinstance(data, dict):
        raise InputError(f"{path}: expected a mapping at the top level")
    base = path.resolve().parent
    _resolve_paths(data, base)
    targets = data.get("targets")
    if isinstance(targets, dict) and targets.get("servers_csv"):
        from_csv = read_servers_csv(Path(targets["servers_csv"]))
        targets["servers"] = list(targets.get("servers") or []) + from_csv
    try:
        config = Config.model_validate(data)
    except ValidationError as exc:
        raise InputError(format_validation_error(str(path), exc)) from None
    config._source_path = path
    return config
