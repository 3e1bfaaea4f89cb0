"""Ledger tables. The Alembic migrations under migrations/versions create exactly these."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import (
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from .types import JSONType, UTCDateTime

# Step-run statuses: the worst finding decides ok/warn/crit/unknown; `skipped` is a run that was due
# and did not happen (server off, probe not responsible), `running` one not finished yet, `error`
# one the runner itself could not complete.
STEP_RUN_STATUSES = ("running", "ok", "warn", "crit", "unknown", "skipped", "error")
FINDING_STATUSES = ("ok", "warn", "crit", "unknown")
CASE_STATES = ("open", "acknowledged", "escalated", "waiting_provider", "resolved", "closed")
# A case in one of these states blocks a second case for the same (sop, step, target).
OPEN_CASE_STATES = ("open", "acknowledged", "escalated", "waiting_provider")
_OPEN_SQL = "state IN (" + ", ".join(f"'{s}'" for s in OPEN_CASE_STATES) + ")"


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict] = {datetime: UTCDateTime, dict[str, Any]: JSONType}


class StepRun(Base):
    """One execution of one SOP step by an agent: the evidence that the step was done."""

    __tablename__ = "step_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sop_id: Mapped[str] = mapped_column(String(64))
    step_no: Mapped[int]
    sop_version: Mapped[str] = mapped_column(String(32))
    agent: Mapped[str | None] = mapped_column(String(64))  # check kind that performed it
    target_group: Mapped[str | None] = mapped_column(String(128))
    probe: Mapped[str | None] = mapped_column(String(64))  # which sigap instance ran it
    trigger: Mapped[str] = mapped_column(String(16), default="scheduled")  # scheduled | manual | catch_up
    status: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    due_at: Mapped[datetime | None]  # when the schedule wanted it, for late/skipped runs
    time_standard_s: Mapped[int | None]  # the step's waktu in seconds, where it has a fixed length
    within_time_standard: Mapped[bool | None]
    summary: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)  # why skipped / error
    output_kind: Mapped[str | None] = mapped_column(String(64))  # e.g. "laporan_rekapitulasi"
    output_ref: Mapped[str | None] = mapped_column(Text)  # where the artefact is (path or URI)
    details: Mapped[dict[str, Any] | None]
    # Set where this step's evidence is another step's measurement (steps that ask the same question
    # of the same targets on the same schedule share one crawl): readers of measurements skip these.
    measured_by_run_id: Mapped[int | None] = mapped_column(
        ForeignKey("step_runs.id", ondelete="SET NULL"), nullable=True
    )

    findings: Mapped[list[Finding]] = relationship(
        back_populates="step_run", cascade="all, delete-orphan", order_by="Finding.id"
    )

    __table_args__ = (
        Index("ix_step_runs_sop_step_started", "sop_id", "step_no", "started_at"),
        Index("ix_step_runs_status", "status"),
    )


class Finding(Base):
    """What a check saw about one target, in words a duty officer can act on."""

    __tablename__ = "findings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    step_run_id: Mapped[int] = mapped_column(ForeignKey("step_runs.id", ondelete="CASCADE"))
    target: Mapped[str] = mapped_column(String(512))
    status: Mapped[str] = mapped_column(String(16))
    code: Mapped[str] = mapped_column(String(64))  # machine id, e.g. "content_stale"
    message_id: Mapped[str] = mapped_column(Text)  # Indonesian
    message_en: Mapped[str | None] = mapped_column(Text)
    observed: Mapped[dict[str, Any] | None]  # {"value": 23, "unit": "day"}
    limit: Mapped[dict[str, Any] | None] = mapped_column("limit_value")  # {"value": 7, "unit": "day"}
    evidence_url: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict[str, Any] | None]

    step_run: Mapped[StepRun] = relationship(back_populates="findings")

    __table_args__ = (
        Index("ix_findings_step_run", "step_run_id"),
        Index("ix_findings_target", "target"),
    )


class Case(Base):
    """A human follow-up that continues an SOP from a step, with deadlines from the SOP's waktu."""

    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sop_id: Mapped[str] = mapped_column(String(64))
    step_no: Mapped[int]  # the step whose threshold failed (or where a manual case starts)
    target: Mapped[str] = mapped_column(String(512))
    sop_version: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(16), default="agent")  # agent | manual
    state: Mapped[str] = mapped_column(String(24))
    current_step_no: Mapped[int]
    assignee_role: Mapped[str | None] = mapped_column(String(128))
    opened_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by: Mapped[str | None] = mapped_column(String(128))
    resolved_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    # Escalation levels already notified after a breach (0: none), from cases.escalation in config.
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    # While waiting for the provider the office's clock stops; the wait is summed for the report.
    paused_at: Mapped[datetime | None]
    provider_wait_s: Mapped[int] = mapped_column(Integer, default=0)
    last_notified_at: Mapped[datetime | None]  # reminders count from the last message about it
    reminders_sent: Mapped[int] = mapped_column(Integer, default=0)  # for the current step
    # Bumped on every change; updates are "WHERE id = ? AND revision = ?" so two workers never
    # apply the same transition twice.
    revision: Mapped[int] = mapped_column(Integer, default=0)
    details: Mapped[dict[str, Any] | None]

    deadlines: Mapped[list[CaseDeadline]] = relationship(
        back_populates="case", cascade="all, delete-orphan", order_by="CaseDeadline.step_no"
    )
    events: Mapped[list[CaseEvent]] = relationship(back_populates="case", order_by="CaseEvent.seq")

    __table_args__ = (
        # One open case per (sop, step, target): enforced by the database, not by a read-then-write.
        Index(
            "uq_cases_open_per_target",
            "sop_id",
            "step_no",
            "target",
            unique=True,
            sqlite_where=text(_OPEN_SQL),
            postgresql_where=text(_OPEN_SQL),
        ),
        Index("ix_cases_state", "state"),
    )


class CaseDeadline(Base):
    """When one step of a case is due, computed from the step's waktu on the office calendar."""

    __tablename__ = "case_deadlines"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    step_no: Mapped[int]
    role: Mapped[str | None] = mapped_column(String(128))
    time_standard: Mapped[str | None] = mapped_column(String(64))  # the waktu text it came from
    due_at: Mapped[datetime | None]
    done_at: Mapped[datetime | None]
    breached_at: Mapped[datetime | None]

    case: Mapped[Case] = relationship(back_populates="deadlines")

    __table_args__ = (
        UniqueConstraint("case_id", "step_no", name="uq_case_deadlines_step"),
        Index("ix_case_deadlines_due", "due_at"),
    )


class CaseEvent(Base):
    """Append-only log of a case. Database triggers refuse UPDATE and DELETE on this table."""

    __tablename__ = "case_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    seq: Mapped[int]  # 1, 2, 3... per case; unique, so a concurrent double append fails
    at: Mapped[datetime]
    kind: Mapped[str] = mapped_column(String(32))  # opened, acknowledged, step_done, escalated, ...
    actor: Mapped[str | None] = mapped_column(String(128))
    from_state: Mapped[str | None] = mapped_column(String(24))
    to_state: Mapped[str | None] = mapped_column(String(24))
    step_no: Mapped[int | None]
    note: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any] | None]

    case: Mapped[Case] = relationship(back_populates="events")

    __table_args__ = (UniqueConstraint("case_id", "seq", name="uq_case_events_seq"),)


class Notification(Base):
    """The outbox: one message for one recipient role (or one target contact), written in the case
    change's transaction.

    A worker sends it through the role's channels in order, retrying with backoff and moving to the
    next channel when one keeps failing; `sent` rows are never sent again. A message to a target's
    own contact (an OPD's site admin) carries its `recipient` and goes through the office's
    contacts channel, addressed to that contact instead of the channel's own recipients.
    """

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime]
    kind: Mapped[str] = mapped_column(String(24))  # opened, reopened, resolved, breached, escalated, ...
    role: Mapped[str | None] = mapped_column(String(128))
    case_ids: Mapped[list[int]] = mapped_column(JSONType)  # grouped: one message for many cases
    message: Mapped[dict[str, Any]]  # {"id": {"title", "subject", "body", "html"}, "en": {...}}
    # A target's contact: {"email": "admin@opd.example.go.id", "name": ..., "language": "id"}; None:
    # the channels' own recipients (a role's).
    recipient: Mapped[dict[str, Any] | None]
    channels: Mapped[list[str]] = mapped_column(JSONType)  # channel ids, in fallback order
    channel_pos: Mapped[int] = mapped_column(Integer, default=0)
    # pending | sent | suppressed (maintenance) | cancelled (superseded) | dead (gave up) | no_channel
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    channel_attempts: Mapped[int] = mapped_column(Integer, default=0)  # failures on the current channel
    not_before: Mapped[datetime]  # held back (a recovery is held in case it fails again at once)
    next_attempt_at: Mapped[datetime]
    lease_until: Mapped[datetime | None]  # a worker is sending it; expires if that worker dies
    sent_at: Mapped[datetime | None]
    sent_via: Mapped[str | None] = mapped_column(String(128))
    last_error: Mapped[str | None] = mapped_column(Text)
    revision: Mapped[int] = mapped_column(Integer, default=0)

    attempts_log: Mapped[list[NotificationAttempt]] = relationship(
        back_populates="notification", cascade="all, delete-orphan", order_by="NotificationAttempt.id"
    )

    __table_args__ = (Index("ix_notifications_status_next", "status", "next_attempt_at"),)


class NotificationAttempt(Base):
    """One try at delivering a notification through one channel: the delivery status per attempt."""

    __tablename__ = "notification_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    notification_id: Mapped[int] = mapped_column(ForeignKey("notifications.id", ondelete="CASCADE"))
    at: Mapped[datetime]
    channel_id: Mapped[str] = mapped_column(String(128))
    ok: Mapped[bool] = mapped_column(Boolean)
    error: Mapped[str | None] = mapped_column(Text)
    duration_ms: Mapped[float | None] = mapped_column(Float)

    notification: Mapped[Notification] = relationship(back_populates="attempts_log")

    __table_args__ = (Index("ix_notification_attempts_notification", "notification_id"),)


class MaintenanceWindow(Base):
    """Planned work: notifications for matching targets are held back; measurements go on.

    One-off (starts_at..ends_at, UTC) or weekly (days + start_time + duration, in office time).
    """

    __tablename__ = "maintenance_windows"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    target: Mapped[str] = mapped_column(String(512))  # target id or glob ("opd-*", "*")
    sop_id: Mapped[str | None] = mapped_column(String(64))  # only this SOP's cases (None: all)
    starts_at: Mapped[datetime | None]
    ends_at: Mapped[datetime | None]
    days: Mapped[list[str] | None] = mapped_column(JSONType)  # ["sun"] for weekly windows
    start_time: Mapped[str | None] = mapped_column(String(5))  # "22:00" office time
    duration_minutes: Mapped[int | None]
    reason: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime]
    removed_at: Mapped[datetime | None]


class CheckState(Base):
    """What a check must remember between runs: a link's up/down history, an interface's last counters.

    One row per (kind, key); replaced each run. Kept in the ledger, not in memory, so a restart
    neither forgets a link that was DOWN nor computes a rate across the gap.
    """

    __tablename__ = "check_states"

    kind: Mapped[str] = mapped_column(String(32), primary_key=True)  # "link", "snmp_if"
    key: Mapped[str] = mapped_column(String(255), primary_key=True)  # link id, "device/ifIndex"
    data: Mapped[dict[str, Any]]
    updated_at: Mapped[datetime]


class Sample(Base):
    """One measured value in a time series (bits/s, utilisation %, RTT), for weekly percentiles."""

    __tablename__ = "samples"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    series: Mapped[str] = mapped_column(String(255))  # "link:dinkes:in_bps"
    at: Mapped[datetime]
    value: Mapped[float] = mapped_column(Float)

    __table_args__ = (Index("ix_samples_series_at", "series", "at"),)


# --- the console's people -----------------------------------------------------------------------

USER_ROLES = ("admin", "kepala_bidang", "teknisi", "admin_opd", "viewer")
TOKEN_SCOPES = ("read", "write")


class User(Base):
    """A person who reads and acts in the console or through the API; every action they take is
    recorded in the case log under their display name. The password is kept only as an argon2id hash."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64))  # the login name: lower case, no spaces
    display_name: Mapped[str] = mapped_column(String(128))  # what the case log says ("by")
    role: Mapped[str] = mapped_column(String(16))  # one of USER_ROLES
    opds: Mapped[list[str]] = mapped_column(JSONType)  # admin_opd: the OPDs it may see
    acts_as: Mapped[list[str]] = mapped_column(JSONType)  # SOP pelaksana names ("Teknisi Jaringan")
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(32))
    telegram_id: Mapped[str | None] = mapped_column(String(32))
    password_hash: Mapped[str | None] = mapped_column(Text)  # argon2id, PHC string
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    password_changed_at: Mapped[datetime | None]
    # The optional TOTP second factor (migration 0008): the base32 secret once confirmed, one being
    # enrolled, and the last time-step a code was accepted for (a code is good once).
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_pending: Mapped[str | None] = mapped_column(String(64))
    totp_enabled_at: Mapped[datetime | None]
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)
    # A user who signs in through OpenID Connect: the issuer and the ID token's subject (no password).
    oidc_issuer: Mapped[str | None] = mapped_column(String(255))
    oidc_subject: Mapped[str | None] = mapped_column(String(255))

    __table_args__ = (
        Index("uq_users_name", "name", unique=True),
        Index("uq_users_oidc", "oidc_issuer", "oidc_subject", unique=True),
    )


class UserSession(Base):
    """A console login, kept server-side so logout and disabling a user end it at once. The cookie
    carries the session's random id (signed); only its SHA-256 is stored here."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64))
    csrf_token: Mapped[str] = mapped_column(String(64))  # every form of this session carries it
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]  # the idle timeout counts from here
    expires_at: Mapped[datetime]  # the absolute timeout
    revoked_at: Mapped[datetime | None]
    address: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(256))

    __table_args__ = (
        Index("uq_user_sessions_token", "token_hash", unique=True),
        Index("ix_user_sessions_user", "user_id"),
    )


class ApiToken(Base):
    """A bearer token for /api/v1, shown once when made; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    label: Mapped[str | None] = mapped_column(String(128))
    token_hash: Mapped[str] = mapped_column(String(64))
    scope: Mapped[str] = mapped_column(String(8))  # read | write
    created_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    __table_args__ = (
        Index("uq_api_tokens_hash", "token_hash", unique=True),
        Index("ix_api_tokens_user", "user_id"),
    )


class LoginFailure(Base):
    """A bad password (or an unknown account) at the console's login: the throttle counts these per
    account and per address over a window, in the ledger so every instance and a restart see them."""

    __tablename__ = "login_failures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime]
    account: Mapped[str] = mapped_column(String(64))  # the name as typed (case-folded, cut to 64)
    address: Mapped[str] = mapped_column(String(64))

    __table_args__ = (
        Index("ix_login_failures_account_at", "account", "at"),
        Index("ix_login_failures_address_at", "address", "at"),
    )


# --- chat: Telegram and WhatsApp replies (agents/chat) ---------------------------------------------


class ChatState(Base):
    """What the chat bot must remember across a restart: Telegram's update offset, per bot
    ("telegram.BOT_ID.offset")."""

    __tablename__ = "chat_state"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime]


class ChatMessage(Base):
    """A message the bot sent about a case: the case message (edited after a move, so a group sees
    who did what) or a question waiting for its answer (the provider and ticket, a resolve note)."""

    __tablename__ = "chat_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))  # telegram | whatsapp
    chat_id: Mapped[str] = mapped_column(String(64))
    message_id: Mapped[str | None] = mapped_column(String(128))
    case_id: Mapped[int] = mapped_column(Integer)
    purpose: Mapped[str] = mapped_column(String(16))  # case | hold | resolve
    user_id: Mapped[int | None]  # a question: the user asked
    text: Mapped[str] = mapped_column(Text)  # a case message: its text as now shown
    seen_seq: Mapped[int] = mapped_column(Integer, default=0)  # the case's events the text shows
    created_at: Mapped[datetime]
    done_at: Mapped[datetime | None]  # a question answered (or a case message closed)

    __table_args__ = (
        Index("ix_chat_messages_case", "case_id"),
        Index("ix_chat_messages_chat", "channel", "chat_id", "message_id"),
    )


class ChatInbound(Base):
    """An inbound message or button press already handled: a replay of its id makes no second event."""

    __tablename__ = "chat_inbound"

    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    message_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    at: Mapped[datetime]
