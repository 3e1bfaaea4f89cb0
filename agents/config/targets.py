"""The inventory: websites, servers (the IP-allocation list), SNMP devices, links, TLS endpoints."""

from __future__ import annotations

import csv
import io
import ipaddress
import logging
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    Field,
    field_validator,
    model_validator,
)

from sop_registry.errors import InputError

from .base import Identifier, Secret, Strict, _unique

log = logging.getLogger("sigap.config")


class Contact(Strict):
    name: str | None = None
    email: str | None = None  # told of the target's cases through notify.contacts_channel
    phone: str | None = None
    telegram: str | None = None
    language: Literal["id", "en"] | None = None  # what the contact reads; default Indonesian


class Website(Strict):
    id: Identifier
    opd: str = Field(min_length=1)
    url: str
    # The OPD's klaster on the console's Website OPD page (Dinas Daerah, Badan Daerah, Kecamatan,
    # Kelurahan/Desa ...); unset: read off the OPD's name (agents/console/sites.py klaster_of).
    group: str | None = Field(default=None, min_length=1, max_length=100)
    admin: Contact | None = None
    owned_by_office: bool = False  # the office runs the site: robots.txt need not stop the crawl
    # "javascript": the site's HTML is an empty shell (Nuxt, Next, Vite ...): read it as headless
    # Chromium shows it (Debian's chromium and Playwright; off by default, ~150 MiB while it runs).
    render: Literal["html", "javascript"] = "html"
    warn_after_days: int | None = Field(default=None, gt=0)
    crit_after_days: int | None = Field(default=None, gt=0)
    agenda_warn_after_days: int | None = Field(default=None, gt=0)
    probe: str | None = None

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        try:
            parts = urlsplit(value)
            port = parts.port  # ValueError: out of 0-65535, or not a number
        except ValueError as exc:
            raise ValueError(f"not a valid URL ({exc}): {value!r}") from None
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {value!r}")
        if port == 0:
            raise ValueError(f"port 0 cannot be crawled: {value!r}")
        return value


class Server(Strict):
    """One entry of the IP-allocation list ("daftar penggunaan IP server")."""

    name: Annotated[str, Field(pattern=r"^[A-Za-z0-9_]([A-Za-z0-9_\-.]*[A-Za-z0-9])?\.?$", max_length=253)]
    ips: list[ipaddress.IPv4Address | ipaddress.IPv6Address] = Field(min_length=1)
    opd: str | None = None
    purpose: str | None = None
    probe: str | None = None

    @field_validator("name")
    @classmethod
    def _labels(cls, value: str) -> str:
        # A DNS label is at most 63 octets (RFC 1035): such a name can never be asked of a server.
        for label in value.rstrip(".").split("."):
            if not label:
                raise ValueError(f"{value!r}: empty label")
            if len(label) > 63:
                raise ValueError(f"{value!r}: label {label[:20]}... is longer than 63 characters")
        return value


class SnmpV3(Strict):
    user: str = Field(min_length=1)
    auth_protocol: Literal["MD5", "SHA", "SHA224", "SHA256", "SHA384", "SHA512"] = "SHA"
    auth_key: Secret
    priv_protocol: Literal["DES", "3DES", "AES", "AES192", "AES256"] = "AES"
    priv_key: Secret


class RouterOs(Strict):
    """Where a MikroTik's queue limits are read (max-limit is not in SNMP). A read-only user is enough
    (a group with policy read,api,rest-api)."""

    # https://ROUTER[:PORT] (RouterOS 7 REST; Sigap appends /rest/queue/...), or for RouterOS 6 the API
    # protocol: api-ssl://ROUTER[:8729] (TLS), api://ROUTER[:8728] (the password travels in clear).
    url: str
    username: str = Field(min_length=1)
    password: Secret
    ca_file: Path | None = None  # the office CA, or the router's own certificate (pinned)
    verify: bool = True  # false: no certificate check at all -- said here, never assumed

    @field_validator("url")
    @classmethod
    def _api_url(cls, value: str) -> str:
        try:
            parts = urlsplit(value)
            parts.port  # noqa: B018 -- ValueError on a bad port
        except ValueError as exc:
            raise ValueError(f"not a valid URL ({exc}): {value!r}") from None
        if parts.scheme == "http":
            raise ValueError(f"{value!r}: the REST API is read over https only (the login is sent with it)")
        if parts.scheme not in ("https", "api", "api-ssl") or not parts.hostname:
            raise ValueError(f"{value!r}: want https://ROUTER, api-ssl://ROUTER or api://ROUTER")
        if parts.scheme != "https" and parts.path not in ("", "/"):
            raise ValueError(f"{value!r}: an API-protocol address has no path")
        if parts.username or parts.password:
            raise ValueError("the user and password go in username/password, not in the URL")
        return value

    @model_validator(mode="after")
    def _trust(self) -> RouterOs:
        if self.ca_file is not None:
            if not self.verify:
                raise ValueError("ca_file with verify: false: choose one")
            if not self.ca_file.expanduser().is_absolute():
                raise ValueError(f"ca_file: give an absolute path: {self.ca_file}")
            if not self.ca_file.expanduser().is_file():
                raise ValueError(f"ca_file: no such file: {self.ca_file}")
        if self.url.startswith("api:") and self.ca_file is not None:
            raise ValueError("ca_file: api:// has no TLS (use api-ssl://)")
        return self


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
    routeros: RouterOs | None = None  # a MikroTik: read its queues' max-limit here
    # Queue-bound links on this MikroTik: which simple-queue counter carries the OPD's download. "in"
    # (mtxrQueueSimpleBytesIn, measured on RouterOS 7) where a queue's target is the OPD's subnet; "out"
    # where the queues target the upstream side -- it swaps the max-limit pair as well. A link's own
    # `download` wins.
    download: Literal["in", "out"] = "in"

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
    # Or a MikroTik queue (simple, else tree) by its name: the OPD's bandwidth as the central router
    # shapes it, compared with the contract and with the queue's own max-limit.
    queue: str | None = Field(default=None, min_length=1)
    # Which counter carries the OPD's download: "in" on the OPD router's uplink, "out" on a port of the
    # data-centre switch that faces the OPD (default "in"). On a queue: the device's `download` unless
    # given here.
    download: Literal["in", "out"] | None = None
    # The interface's real line rate, where the device reports a placeholder (a Sangfor says 10 Mbps on
    # every port): the SNMP check uses it over ifSpeed/ifHighSpeed, as the ceiling of a plausible rate.
    speed_mbps: float | None = Field(default=None, gt=0)
    parent: str | None = None  # upstream link: its outage explains this one's
    provider: str | None = None  # ISP, for escalation records
    probe: str | None = None

    @model_validator(mode="after")
    def _interface(self) -> Link:
        port = self.if_index is not None or bool(self.if_name)
        if self.queue and port:
            raise ValueError("a link is bound to an interface (if_index/if_name) or to a queue, not both")
        if self.queue and self.speed_mbps is not None:
            raise ValueError("speed_mbps is an interface's line rate; a queue has its max-limit")
        if self.device and not port and not self.queue:
            raise ValueError("a link with a device needs if_index, if_name or queue")
        if (port or self.queue) and not self.device:
            raise ValueError("if_index/if_name/queue need device")
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



def runs_here(target_probe: str | None, instance_probe: str | None) -> bool:
    """Is a target this instance's? Unlabelled targets, and instances without a label, take all."""
    return not (target_probe and instance_probe and target_probe != instance_probe)



def _csv_text(path: Path, raw: bytes) -> str:
    """UTF-8, with or without the BOM Excel writes; else Windows-1252, which is what Excel's "CSV" saves
    on an Indonesian Windows ("Dinas Perhubungan é" as byte 0xE9), said in the log. A byte neither can
    read is a one-line error naming its line."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        text = raw.decode("cp1252")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise InputError(
            f"{path}: line {line}: byte 0x{raw[exc.start]:02x} is neither UTF-8 nor Windows-1252; "
            "save the file as CSV UTF-8"
        ) from None
    log.warning("%s: not UTF-8, read as Windows-1252 (Excel's default CSV); save as CSV UTF-8", path)
    return text


def read_servers_csv(path: Path) -> list[dict[str, Any]]:
    """The IP-allocation list as CSV: header hostname,ip,opd,purpose (extra columns ignored).

    A host listed on several rows gets all its addresses.
    """
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None
    text = _csv_text(path, raw)
    reader = csv.DictReader(io.StringIO(text, newline=""))
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

