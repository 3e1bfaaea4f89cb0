"""The operator's sections: notification, cases, each check kind's settings, the service, the report."""

from __future__ import annotations

import ipaddress
from datetime import time
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import (
    Field,
    field_validator,
    model_validator,
)

from checks.dns.model import DnsSettings, Nameserver
from checks.web.model import DEFAULT_SECTIONS, CrawlSettings, WatchSettings
from sop_registry.schema import Schedule

from .base import Identifier, Secret, Strict, _unique, nameserver, parse_host_port


class NotifyChannel(Strict):
    id: Identifier
    url: Secret  # an apprise URL: tgram://..., mailtos://..., json://... (tokens are secrets)
    roles: list[str] = Field(default_factory=list)  # SOP pelaksana roles this channel reaches
    language: Literal["id", "en"] | None = None
    enabled: bool = True

    @property
    def is_mail(self) -> bool:
        from ..notify.mail import is_mail_url

        return is_mail_url(self.url.get_secret_value())

    @model_validator(mode="after")
    def _mail_url(self) -> NotifyChannel:
        # Sigap sends e-mail itself (agents/notify/mail.py): a URL it cannot send through, or one that
        # would log in without TLS, fails at start-up rather than at the first alert.
        if self.is_mail:
            from ..notify.mail import MailServer

            try:
                MailServer.from_url(self.url.get_secret_value())
            except ValueError as exc:
                raise ValueError(f"url: {exc}") from None
        return self


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
    # The e-mail channel (mailto/mailtos) through which a target's own contacts are told (a site's
    # `admin.email`), its recipients replaced by the contact's address. Unset: recorded, not sent.
    contacts_channel: Identifier | None = None

    @model_validator(mode="after")
    def _ids(self) -> Notify:
        _unique([c.id for c in self.channels], "channels", "id")
        if self.contacts_channel is not None:
            channel = next((c for c in self.channels if c.id == self.contacts_channel), None)
            if channel is None:
                raise ValueError(
                    f"contacts_channel: no channel with id {self.contacts_channel!r} in notify.channels"
                )
            if not channel.is_mail:
                raise ValueError(
                    f"contacts_channel: channel {channel.id!r} is not an e-mail channel "
                    "(its url must be mailto:// or mailtos://)"
                )
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
    # Pelaksana that are not the office's people: their steps are passed over when a case is routed.
    outside_roles: list[Annotated[str, Field(min_length=1)]] = Field(
        default_factory=lambda: ["Masyarakat", "Publik", "Pemohon"]
    )


class FreshnessLimits(Strict):
    """Website freshness limits; unset keys fall through to the wider level (site > OPD > web > SOP)."""

    warn_after_days: int | None = Field(default=None, gt=0)
    crit_after_days: int | None = Field(default=None, gt=0)
    agenda_warn_after_days: int | None = Field(default=None, gt=0)


class InjectionSettings(WatchSettings):
    """The injection watch (issue 21) and who, beside the OPD's admin, handles what it finds."""

    security_role: str = Field(default="Tim Keamanan Informasi", min_length=1)


class WebSettings(FreshnessLimits):
    """The website freshness agent: crawl politeness, limits, per-OPD limits, required sections."""

    crawl: CrawlSettings = Field(default_factory=CrawlSettings)
    injection: InjectionSettings = Field(default_factory=InjectionSettings)
    opd: dict[str, FreshnessLimits] = Field(default_factory=dict)  # keyed by websites[].opd
    # Sections a site must have (Polewali Mandar 07): name -> words that show it in a link.
    sections: dict[str, list[Annotated[str, Field(min_length=1)]]] = Field(
        default_factory=lambda: dict(DEFAULT_SECTIONS)
    )




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


_CONSOLE_ROLES = Literal["admin", "kepala_bidang", "teknisi", "admin_opd", "viewer"]


class OidcSettings(Strict):
    """Sign-in through the province's OpenID Connect provider (Keycloak): authorization code with
    PKCE, the ID token checked against the provider's keys; its claims give the role and the OPDs."""

    # The realm's URL (https://sso.kaltimprov.go.id/realms/pemprov); the provider's endpoints come
    # from {issuer}/.well-known/openid-configuration, and the ID token's iss must be exactly this.
    issuer: str = Field(pattern=r"^https?://[^\s/?#]+[^\s?#]*$")
    client_id: str = Field(min_length=1, max_length=255)
    client_secret: Secret | None = None  # a confidential client's secret; none for a public one
    scopes: list[Annotated[str, Field(pattern=r"^[!#-\[\]-~]+$")]] = Field(
        default_factory=lambda: ["openid", "profile", "email"]
    )
    # Where the role names are in the ID token: a dotted path (Keycloak's realm roles are
    # realm_access.roles, a client's resource_access.<client>.roles); a string or a list of strings.
    role_claim: str = Field(default="realm_access.roles", min_length=1)
    opd_claim: str | None = Field(default="opd", min_length=1)  # the user's OPD(s), for an admin_opd
    roles: dict[Annotated[str, Field(min_length=1)], _CONSOLE_ROLES] = Field(min_length=1)
    opds: dict[Annotated[str, Field(min_length=1)], Annotated[str, Field(min_length=1)]] = Field(
        default_factory=dict
    )  # claim value -> the OPD as the targets' `opd` names it
    label: str | None = Field(default=None, min_length=1, max_length=80)  # the login page's button
    username_claim: str = "preferred_username"  # the local login name is made from it
    display_name_claim: str = "name"  # the name the case log shows
    timeout_s: float = Field(default=10, gt=0)
    leeway_s: int = Field(default=60, ge=0, le=600)  # clock difference allowed for exp/iat

    @field_validator("issuer")
    @classmethod
    def _https_unless_loopback(cls, value: str) -> str:
        value = value.rstrip("/")
        if value.startswith("http://"):
            host = urlsplit(value).hostname or ""
            try:
                loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
            except ValueError:
                loopback = False
            if not loopback:
                raise ValueError("the issuer must be https:// (plain http only on loopback)")
        return value

    @field_validator("scopes")
    @classmethod
    def _openid_scope(cls, value: list[str]) -> list[str]:
        if "openid" not in value:
            raise ValueError("must include openid")
        return list(dict.fromkeys(value))


class ConsoleSettings(Strict):
    """The web console and its API (/, /api/v1) on http.listen, beside /healthz and /metrics."""

    enabled: bool = True
    language: Literal["id", "en"] | None = None  # what a person reads first; default office.language
    # Signs the session cookie. Default: a random key kept in STATE_DIR/console.key (0600), made at the
    # first start; instances behind one proxy on one PostgreSQL give the same key here.
    secret_key: Secret | None = None
    # X-Forwarded-Proto and X-Forwarded-For are believed only from these addresses (the reverse proxy):
    # they decide the cookie's Secure flag and the address the login throttle counts.
    trusted_proxies: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = Field(default_factory=list)
    session_idle_minutes: float = Field(default=30, gt=0)  # a login unused this long ends
    session_max_hours: float = Field(default=12, gt=0)  # and any login ends this long after it began
    # The login throttle: this many bad passwords for one account (or from one address) within the
    # window lock it out until the window has passed since the last of them.
    login_max_failures: int = Field(default=5, ge=1)
    address_max_failures: int = Field(default=20, ge=1)
    login_window_minutes: float = Field(default=15, gt=0)
    # The console as people reach it (https://sigap.example.go.id): chat messages link to a case there.
    public_url: str | None = Field(default=None, pattern=r"^https?://")
    # The public status page (/status, no login): true, or {targets: [{link|website, label}], show_names,
    # show_maintenance, announcements: [{text, text_en}]} (the console checks the mapping's shape).
    public_status: bool | dict = False
    # Optional sign-in through the provincial Keycloak (OpenID Connect) beside the local accounts.
    oidc: OidcSettings | None = None


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

    @model_validator(mode="after")
    def _no_login_in_clear(self) -> Smtp:
        # A login over plain SMTP hands the password to anyone on the path (a sink captured it).
        if self.security == "none" and (self.username or self.password):
            raise ValueError("security none sends no login: remove username/password or use starttls/ssl")
        return self

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
    # The PDF: `short` puts first what needs a decision (sites not fresh, injected or defaced sites,
    # links under target, open DNS drift, certificates close to expiry, late SOP steps, overdue
    # cases) and appends the complete tables only while they are small (sites + links at most
    # pdf_full_tables_up_to); `full` is the complete report. The XLSX always holds every row.
    pdf_detail: Literal["short", "full"] = "short"
    pdf_full_tables_up_to: int = Field(default=60, ge=0)
    availability_target_pct: float = Field(default=99.5, gt=0, le=100)  # a link under it is listed
    cert_within_days: int = Field(default=30, ge=0)  # a certificate expiring within this is listed
    # `sigap report letters`: an OPD whose site was stale this many weekly crawls in a row gets a
    # letter (pemberitahuan), from reprimand_after_weeks on a reprimand (teguran).
    letter_after_weeks: int = Field(default=3, ge=1, le=52)
    reprimand_after_weeks: int = Field(default=6, ge=1, le=52)
    # The monthly recap (`sigap report monthly`) is sent by `sigap serve` on the first send_day of
    # the month after, beside that day's weekly report, when this is on.
    monthly_auto_send: bool = False

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
    # The ledger refused a write (disk full): what was measured is kept and written again this often.
    write_retry_s: float = Field(default=30, gt=0)




# --- chat: answering an alert where it arrives (issue 19) -------------------------------------------


class TelegramGroup(Strict):
    """A team group the bot is a member of: case messages for these roles are posted there too."""

    chat_id: Annotated[str, Field(pattern=r"^-?[0-9]{1,20}$")]
    roles: list[Annotated[str, Field(min_length=1)]] = Field(min_length=1)  # "*": every role


class TelegramSettings(Strict):
    """The Telegram bot: long polling (getUpdates) unless the server is reachable for a webhook."""

    enabled: bool = True
    token: Secret  # from BotFather
    api_base: str = Field(default="https://api.telegram.org", pattern=r"^https?://")
    mode: Literal["polling", "webhook"] = "polling"
    # webhook mode: Telegram sends it in X-Telegram-Bot-Api-Secret-Token; a call without it is refused
    webhook_secret: Secret | None = None
    poll_timeout_s: int = Field(default=30, ge=0, le=50)  # getUpdates long-poll timeout
    retry_s: float = Field(default=5, gt=0)  # Telegram unreachable: the next try after this, doubled...
    max_retry_s: float = Field(default=300, gt=0)  # ...up to this
    groups: list[TelegramGroup] = Field(default_factory=list)

    @model_validator(mode="after")
    def _webhook_secret(self) -> TelegramSettings:
        if self.mode == "webhook" and self.webhook_secret is None:
            raise ValueError("mode webhook needs webhook_secret (Telegram's secret_token)")
        return self


class WhatsAppSettings(Strict):
    """One WhatsApp gateway: Fonnte, Wablas or a self-hosted WAHA; replies come to its webhook."""

    enabled: bool = True
    gateway: Literal["fonnte", "wablas", "waha"]
    api_base: str | None = Field(default=None, pattern=r"^https?://")  # fonnte: https://api.fonnte.com
    token: Secret | None = None  # fonnte: the device token; wablas: the token; waha: its X-Api-Key
    secret_key: Secret | None = None  # wablas: the secret key ("Authorization: token.secret_key")
    session: str = "default"  # waha: the session that sends
    # fonnte/wablas: the secret in the webhook URL (/chat/whatsapp/SECRET); waha: the HMAC key
    webhook_secret: Secret

    @model_validator(mode="after")
    def _complete(self) -> WhatsAppSettings:
        if self.api_base is None and self.gateway != "fonnte":
            raise ValueError(f"api_base: required for gateway {self.gateway}")
        if self.gateway in ("fonnte", "wablas") and self.token is None:
            raise ValueError(f"token: required for gateway {self.gateway}")
        if len(self.webhook_secret.get_secret_value()) < 16:
            raise ValueError("webhook_secret: at least 16 characters")
        return self

    @property
    def base(self) -> str:
        return (self.api_base or "https://api.fonnte.com").rstrip("/")


class ChatSettings(Strict):
    """Telegram and WhatsApp: case messages to each user who acts as the step's pelaksana, and the
    replies (buttons, ACK 12, /selesai 12 ...) that move the case as that user."""

    telegram: TelegramSettings | None = None
    whatsapp: WhatsAppSettings | None = None
    prompt_minutes: float = Field(default=15, gt=0)  # a Tunda/Selesai question waits this long for the answer
