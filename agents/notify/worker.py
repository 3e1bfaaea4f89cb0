"""Sending the outbox: claim, send through the role's channels, record every attempt.

A row is claimed with a lease (a guarded update), so two workers never send it at once and a worker
that dies mid-send leaves a row that is taken up again when the lease runs out. A failed attempt is
retried with a doubling backoff; after `attempts_per_channel` failures the next channel serving the
role is tried at once (Telegram down during an ISP failover: the e-mail goes). A row that is `sent`
is never sent again.

E-mail channels (mailto://, mailtos://) get a multipart mail of Sigap's own (text and HTML, see
mail.py), and the server's answer in the attempt's error; a row for a target's contact goes only
through e-mail, to the contact's address. Other channels go through apprise, as plain text.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

import apprise
from sqlalchemy import Engine, or_, select, update
from sqlalchemy.orm import Session

from sop_registry.ledger.models import Notification, NotificationAttempt

from ..config import Config, NotifyChannel
from .mail import MailError, MailServer, build, send_mail_async
from .messages import BODY_FORMAT
from .people import is_chat

log = logging.getLogger("sigap.notify")


def lease(config: Config) -> timedelta:
    """How long a claimed row is this worker's: longer than one attempt can take, short enough that a
    worker killed mid-send leaves its rows to the next start within a minute or so."""
    return timedelta(seconds=2 * config.notify.send_timeout_s + 5)


class DeliveryError(Exception):
    """A channel did not take the message; the text says why (without the channel's secrets)."""


class ChatSend(Protocol):
    """The chat channels (agents/chat/hub.py): a row for a user's own Telegram id or phone, or a
    team group, goes through `@telegram` / `@whatsapp`, not through apprise."""

    def serves(self, channel_id: str) -> bool: ...

    async def send(self, channel_id: str, note: Notification, text: dict[str, str]) -> str | None: ...


# send(channel, title, body) -> None, or a note on recipients the server refused while it took the
# message for the others. E-mail channels are also given `html=` (the text/html part) and `to=` (a
# target's contact, instead of the channel's own recipients).
Send = Callable[..., Awaitable[str | None]]


class AppriseSender:
    """Telegram, e-mail, WhatsApp gateways, JSON/form webhooks: whatever apprise URL the channel has.
    E-mail is composed and sent by Sigap itself (mail.py), the URL read by apprise's parser."""

    def __init__(self, timeout_s: float) -> None:
        self.timeout_s = timeout_s
        self._servers: dict[str, MailServer] = {}

    async def __call__(
        self,
        channel: NotifyChannel,
        title: str,
        body: str,
        *,
        html: str | None = None,
        to: list[str] | None = None,
    ) -> str | None:
        if channel.is_mail:
            return await self._mail(channel, title, body, html, to)
        if to:
            raise DeliveryError(f"channel {channel.id}: not an e-mail channel, cannot address {len(to)}")
        await self._apprise(channel, title, body)
        return None

    async def _mail(
        self, channel: NotifyChannel, subject: str, text: str, html: str | None, to: list[str] | None
    ) -> str | None:
        secret = channel.url.get_secret_value()
        server = self._servers.get(secret)
        if server is None:
            try:
                server = self._servers[secret] = MailServer.from_url(secret)
            except ValueError as exc:
                raise DeliveryError(f"channel {channel.id}: {exc}".replace(secret, "***")) from None
        if to:  # a contact's message goes to the contact alone, not to the role's people the URL names
            header_to, cc, envelope = list(to), [], list(to)
        else:
            header_to, cc = [address for _name, address in server.to], list(server.cc)
            envelope = header_to + cc + list(server.bcc)
        message = build(server, subject, text, html, header_to, cc)
        try:
            refused = await send_mail_async(server, message, envelope, self.timeout_s, secrets=(secret,))
        except MailError as exc:
            raise DeliveryError(f"channel {channel.id}: {exc}"[:500]) from None
        if not refused:
            return None
        return f"channel {channel.id}: refused " + "; ".join(f"{r}: {said}" for r, said in refused.items())

    async def _apprise(self, channel: NotifyChannel, title: str, body: str) -> None:
        secret = channel.url.get_secret_value()
        target = apprise.Apprise()
        if not target.add(secret):
            raise DeliveryError(f"channel {channel.id}: apprise does not understand its url")
        with apprise.LogCapture(level=logging.WARNING) as captured:
            try:
                # Plain text, said so: apprise otherwise takes the body for HTML and puts a site's
                # words into a mail's text/html part as live markup.
                sending = target.async_notify(body=body, title=title, body_format=BODY_FORMAT)
                ok = await asyncio.wait_for(sending, self.timeout_s)
            except TimeoutError:
                raise DeliveryError(f"channel {channel.id}: no answer in {self.timeout_s:g} s") from None
            text = captured.getvalue()
        if not ok:
            lines = [ln.split(" - ", 2)[-1] for ln in text.strip().splitlines() if ln.strip()]
            reason = (lines[-1] if lines else "delivery failed").replace(secret, "***")
            raise DeliveryError(f"channel {channel.id}: {reason}"[:500])


@dataclass
class DeliveryStats:
    sent: int = 0
    failed: int = 0
    dead: int = 0

    def __iadd__(self, other: DeliveryStats) -> DeliveryStats:
        self.sent += other.sent
        self.failed += other.failed
        self.dead += other.dead
        return self


def _claim(engine: Engine, now: datetime, limit: int, held_for: timedelta) -> list[tuple[int, int]]:
    """(id, revision) of rows this worker now holds the lease on."""
    claimed = []
    with Session(engine) as session, session.begin():
        rows = session.execute(
            select(Notification.id, Notification.revision)
            .where(
                Notification.status == "pending",
                Notification.next_attempt_at <= now,
                Notification.not_before <= now,
                or_(Notification.lease_until.is_(None), Notification.lease_until < now),
            )
            .order_by(Notification.id)
            .limit(limit)
        ).all()
        for note_id, revision in rows:
            took = session.execute(
                update(Notification)
                .where(Notification.id == note_id, Notification.revision == revision)
                .values(lease_until=now + held_for, revision=revision + 1)
            ).rowcount
            if took == 1:
                claimed.append((note_id, revision + 1))
    return claimed


def _backoff(config: Config, failures: int) -> timedelta:
    retry = config.notify.retry
    return timedelta(seconds=min(retry.backoff_s * 2 ** max(failures - 1, 0), retry.max_backoff_s))


async def deliver_due(
    engine: Engine,
    config: Config,
    send: Send,
    clock: Callable[[], datetime],
    *,
    limit: int = 50,
    chat: ChatSend | None = None,
) -> DeliveryStats:
    """Send what is due now. Safe to run in several processes at once."""
    stats = DeliveryStats()
    channels = {c.id: c for c in config.notify.channels if c.enabled}
    for note_id, revision in _claim(engine, clock(), limit, lease(config)):
        with Session(engine) as session:
            note = session.get(Notification, note_id)
            stats += await _attempt(session, note, revision, channels, config, send, clock, chat)
    return stats


async def _send_chat(chat: ChatSend, channel_id: str, note: Notification, config: Config) -> str | None:
    lang = (note.recipient or {}).get("language") or config.office.language
    text = note.message.get(lang) or note.message["id"]
    return await chat.send(channel_id, note, text)


async def _attempt(
    session: Session,
    note: Notification,
    revision: int,
    channels: dict[str, NotifyChannel],
    config: Config,
    send: Send,
    clock: Callable[[], datetime],
    chat: ChatSend | None = None,
) -> DeliveryStats:
    recipient = note.recipient
    if is_chat(recipient):  # a user's own Telegram id or phone, a team group
        known = [c for c in note.channels if chat is not None and chat.serves(c)]
    else:
        # A contact's message may only go where it can be addressed to the contact: an e-mail channel.
        known = [c for c in note.channels if c in channels and (recipient is None or channels[c].is_mail)]
    started = clock()
    values: dict
    said: str | None = None
    if not known:
        values = {"status": "no_channel", "last_error": "none of its channels is configured any more"}
        if recipient is not None and note.channels and not is_chat(recipient):
            values["last_error"] = "notify.contacts_channel is no e-mail channel any more"
        channel_id, error, elapsed = "-", values["last_error"], 0.0
    elif is_chat(recipient):
        assert chat is not None
        channel_id = known[note.channel_pos % len(known)]
        t0 = time.perf_counter()
        try:
            said, error = await _send_chat(chat, channel_id, note, config), None
        except DeliveryError as exc:
            error = str(exc)
        except Exception as exc:  # a bug in a transport must not kill the worker or lose the row
            error = f"channel {channel_id}: {type(exc).__name__}: {exc}"[:500]
        elapsed = (time.perf_counter() - t0) * 1000
        now = clock()
        if error is None:
            values = {"status": "sent", "sent_at": now, "sent_via": channel_id, "last_error": said}
        else:
            values = _after_failure(note, len(known), error, now, config)
    else:
        channel = channels[known[note.channel_pos % len(known)]]
        lang = (recipient or {}).get("language") or channel.language or config.office.language
        text = note.message.get(lang) or note.message["id"]
        t0 = time.perf_counter()
        try:
            if channel.is_mail:
                to = [recipient["email"]] if recipient else None
                subject = text.get("subject") or text["title"]
                said = await send(channel, subject, text["body"], html=text.get("html"), to=to)
            else:
                said = await send(channel, text["title"], text["body"])
            error = None
        except DeliveryError as exc:
            error = str(exc)
        except Exception as exc:  # a plugin's own bug must not kill the worker or lose the row
            error = f"channel {channel.id}: {type(exc).__name__}: {exc}".replace(
                channel.url.get_secret_value(), "***"
            )
        elapsed = (time.perf_counter() - t0) * 1000
        channel_id = channel.id
        now = clock()
        if error is None:
            said = said if isinstance(said, str) else None  # some recipients refused, the rest took it
            values = {"status": "sent", "sent_at": now, "sent_via": channel.id, "last_error": said}
        else:
            values = _after_failure(note, len(known), error, now, config)
    session.add(
        NotificationAttempt(
            notification_id=note.id,
            at=started,
            channel_id=channel_id,
            ok=error is None,
            error=error or said,
            duration_ms=round(elapsed, 1),
        )
    )
    done = session.execute(
        update(Notification)
        .where(Notification.id == note.id, Notification.revision == revision)
        .values(revision=revision + 1, lease_until=None, **values)
    ).rowcount
    session.commit()
    if done != 1:
        log.warning("notification=%s was taken over by another worker while sending", note.id)
    status = values["status"]
    if status == "sent":
        log.info(
            "notification sent id=%s kind=%s via=%s cases=%s", note.id, note.kind, channel_id, note.case_ids
        )
        return DeliveryStats(sent=1)
    log.warning("notification not sent id=%s status=%s error=%s", note.id, status, error)
    return DeliveryStats(failed=1, dead=int(status in ("dead", "no_channel")))


def _after_failure(note: Notification, n_channels: int, error: str, now: datetime, config: Config) -> dict:
    """Where and when the next attempt goes: the same channel after a backoff, the next channel of
    the chain at once, and once the whole chain has failed, the first channel again after a backoff
    that keeps doubling over the rounds (up to max_backoff_s). The doubling counts every failure of
    the message, not the channel's: with 2 failing channels and attempts_per_channel 1, a reset per
    channel made 2,629 attempts in 93 s."""
    retry = config.notify.retry
    per = retry.attempts_per_channel
    attempts, on_channel, pos = note.attempts + 1, note.channel_attempts + 1, note.channel_pos
    rounds = attempts // (per * n_channels)  # times the whole chain has failed
    if on_channel >= per and n_channels > 1:
        pos, on_channel = pos + 1, 0
        # A fallback not yet tried in this round goes now; back at the first, the chain waits.
        next_at = now if pos % n_channels else now + _backoff(config, rounds * per)
    else:
        next_at = now + _backoff(config, rounds * per + on_channel)
    status = "pending"
    if now - note.created_at >= timedelta(hours=retry.give_up_after_hours):
        status = "dead"
    return {
        "status": status,
        "attempts": attempts,
        "channel_attempts": on_channel,
        "channel_pos": pos,
        "next_attempt_at": next_at,
        "last_error": error,
    }
