"""Writing the outbox: in the same transaction as the case change, grouped, maintenance applied.

Grouping: the changes of one run (or one SLA sweep) that share kind, SOP step and recipients become
one message; 50 OPD links going down in one minute give one message listing them, not 50. A
recovery is held `resolve_hold_minutes` before it goes out; a failure in that time cancels it and
says nothing, so a link that drops for a moment does not send "down, up, down".

A target's own contact (an OPD's site admin) is told beside the roles, once per batch: one admin
with three stale sites gets one message listing the three, an address two sites share is mailed
once. The same maintenance windows and held recoveries apply.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sop_registry.ledger.models import Case, Notification
from sop_registry.schema import Sop

from ..config import Config
from ..config.targets import Contact
from .contacts import CONTACT_KINDS, Directory
from .htmlpart import html_part
from .maintenance import current_windows, window_for
from .messages import CaseLine, draft
from .people import ChatRecipient, chat_people, is_chat, recipients_for

log = logging.getLogger("sigap.notify")


@dataclass(frozen=True)
class Alert:
    """One case change people must hear about, and who."""

    kind: str  # opened | reopened | resolved | breached | escalated | reminder
    case: Case
    roles: tuple[str, ...]
    data: dict[str, Any] | None = field(default=None, compare=False)


def roles_for(case: Case) -> tuple[str, ...]:
    """Who hears about a case: the role of its current step and the role the agent named (the
    technician on duty hears of a link fault even where the SOP's next step is the Kepala Bidang's)."""
    roles = [case.assignee_role] if case.assignee_role else []
    agent_role = (case.details or {}).get("agent_role")
    if agent_role and agent_role not in roles:
        roles.append(agent_role)
    return tuple(roles)


def _cancel_held_recovery(
    session: Session,
    case_id: int,
    at: datetime,
    config: Config,
    registry: Mapping[str, Sop],
    book: Directory,
) -> bool:
    """A held 'resolved' message about this case that has not gone out is cancelled."""
    cancelled = False
    held = session.scalars(
        select(Notification).where(
            Notification.status == "pending", Notification.kind == "resolved", Notification.not_before > at
        )
    )
    for note in held:
        if case_id in note.case_ids:
            remaining = [c for c in note.case_ids if c != case_id]
            if remaining:  # the others did recover: the message now names only them
                note.case_ids = remaining
                cases = [session.get(Case, c) for c in remaining]
                contact = None if is_chat(note.recipient) else note.recipient
                note.message = render(
                    "resolved", cases, config, registry, at=note.created_at, book=book, contact=contact
                )
            else:
                note.status, note.last_error = "cancelled", "gagal lagi sebelum kabar pulih terkirim"
            cancelled = True
    return cancelled


def enqueue(
    session: Session, alerts: Iterable[Alert], at: datetime, config: Config, registry: Mapping[str, Sop]
) -> list[Notification]:
    alerts = list(alerts)
    if not alerts:
        return []
    windows = current_windows(session)
    book = Directory.of(config)
    zone = config.office.zone
    # (pending | suppressed) -> group key -> its alerts; contact groups carry the contact's address
    groups: dict[str, dict[tuple, list[Alert]]] = {"pending": {}, "suppressed": {}}
    contacts: dict[str, Contact] = {}
    people = chat_people(session, config)
    chatters: dict[str, ChatRecipient] = {}
    for alert in alerts:
        case = alert.case
        if alert.kind == "reopened" and _cancel_held_recovery(session, case.id, at, config, registry, book):
            continue  # nobody was told it recovered: the case simply goes on
        in_window = window_for(windows, case.target, case.sop_id, at, zone)
        bucket = groups["suppressed" if in_window else "pending"]
        for chain, roles in _chains(config, alert.roles).items():
            key = (alert.kind, case.sop_id, case.current_step_no, chain, roles, None)
            bucket.setdefault(key, []).append(alert)
        for person in recipients_for(config, people, alert.roles):  # users and groups on chat
            chatters.setdefault(person.key, person)
            key = (alert.kind, case.sop_id, case.current_step_no, None, None, person.key)
            bucket.setdefault(key, []).append(alert)
        if alert.kind not in CONTACT_KINDS:
            continue
        for contact in book.contacts(case):
            address = (contact.email or "").strip()
            contacts.setdefault(address.lower(), contact)
            key = (alert.kind, case.sop_id, case.current_step_no, None, None, address.lower())
            bucket.setdefault(key, []).append(alert)
    out = []
    for status, bucket in groups.items():
        for (kind, _sop, _step, chain, roles, address), members in bucket.items():
            if address is None:
                note = _write(session, kind, members, chain, roles, status, at, config, registry, book)
            elif address in chatters:
                person = chatters[address]
                note = _write(
                    session,
                    kind,
                    members,
                    person.chain,
                    person.label,
                    status,
                    at,
                    config,
                    registry,
                    book,
                    recipient=person.recipient,
                )
            else:
                contact = contacts[address]
                note = _write_contact(session, kind, members, contact, status, at, config, registry, book)
            out.append(note)
    return out


def _chains(config: Config, roles: tuple[str, ...]) -> dict[tuple[str, ...], str]:
    """Recipients by channel chain: two roles served by the same channels get one message."""
    chains: dict[tuple[str, ...], list[str]] = {}
    for role in roles or (None,):
        chain = tuple(config.notify.channels_for(role))
        chains.setdefault(chain, []).append(role or "*")
    return {chain: ", ".join(names) for chain, names in chains.items()}


def render(
    kind: str,
    cases: list[Case],
    config: Config,
    registry: Mapping[str, Sop],
    data: dict[str, Any] | None = None,
    *,
    at: datetime | None = None,
    book: Directory | None = None,
    contact: dict[str, Any] | None = None,
    for_chat: bool = False,
) -> dict[str, dict[str, str]]:
    """The message in both languages: {"id": {"title", "subject", "body", "html"}, "en": {...}}."""
    book = book or Directory.of(config)
    lines = [CaseLine.of(c, registry[c.sop_id], opd=book.opd(c)) for c in cases]
    listed = config.notify.max_targets_listed
    out = {}
    for lang in ("id", "en"):
        text = draft(
            kind,
            lines,
            config.office,
            lang,
            max_listed=listed,
            extra=data,
            at=at,
            for_contact=contact is not None,
            for_chat=for_chat,
        )
        html = html_part(kind, lines, config.office, lang, text, max_listed=listed)
        out[lang] = {**text.as_json(), "html": html}
    return out


def _write_contact(
    session: Session,
    kind: str,
    members: list[Alert],
    contact: Contact,
    status: str,
    at: datetime,
    config: Config,
    registry: Mapping[str, Sop],
    book: Directory,
) -> Notification:
    """A message to a target's own contact, through the office's contacts channel (mail)."""
    recipient = {"email": contact.email, "name": contact.name, "language": contact.language or "id"}
    channel = config.notify.contacts_channel
    enabled = {c.id for c in config.notify.channels if c.enabled}
    chain = (channel,) if channel in enabled else ()
    if status == "pending" and not chain:
        log.warning(
            "no notify.contacts_channel to tell a target's contact: kind=%s contact=%s cases=%s",
            kind,
            contact.email,
            [a.case.id for a in members],
        )
    label = f"kontak: {contact.email}"[:128]
    return _write(
        session, kind, members, chain, label, status, at, config, registry, book, recipient=recipient
    )


def _write(
    session: Session,
    kind: str,
    members: list[Alert],
    chain: tuple[str, ...],
    roles: str,
    status: str,
    at: datetime,
    config: Config,
    registry: Mapping[str, Sop],
    book: Directory,
    *,
    recipient: dict[str, Any] | None = None,
) -> Notification:
    cases = [a.case for a in members]
    hold = timedelta(minutes=config.notify.resolve_hold_minutes) if kind == "resolved" else timedelta()
    if status == "pending" and not chain:
        status = "no_channel"
        if recipient is None:  # a contact's missing channel is logged by _write_contact (a chat
            # recipient always has one)
            log.warning(
                "no notification channel for role=%s kind=%s cases=%s", roles, kind, [c.id for c in cases]
            )
    note = Notification(
        created_at=at,
        kind=kind,
        role=roles,
        case_ids=[c.id for c in cases],
        message=render(
            kind,
            cases,
            config,
            registry,
            members[0].data,
            at=at,
            book=book,
            contact=None if is_chat(recipient) else recipient,
            for_chat=is_chat(recipient),
        ),
        recipient=recipient,
        channels=list(chain),
        channel_pos=0,
        status=status,
        attempts=0,
        channel_attempts=0,
        not_before=at + hold,
        next_attempt_at=at + hold,
        revision=0,
        last_error=_why_not(status, recipient),
    )
    session.add(note)
    if status == "pending":
        for case in cases:
            case.last_notified_at = at
    session.flush()
    return note


def _why_not(status: str, recipient: dict[str, Any] | None) -> str | None:
    if status == "suppressed":
        return "dalam jendela pemeliharaan"
    if status == "no_channel" and recipient is not None:
        return "notify.contacts_channel tidak diatur: kontak target tidak dikirimi"
    return None
