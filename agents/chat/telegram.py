"""The Telegram bot: httpx against the Bot API (apprise can neither poll nor take a button press).

Long polling by default (getUpdates with `timeout`): most offices' servers are not reachable from the
internet, and polling needs only the way out. Webhook mode (`chat.telegram.mode: webhook`) takes the
same updates at POST /chat/telegram, checked against Telegram's `X-Telegram-Bot-Api-Secret-Token`.

Each update is handled in one ledger transaction with its id (`chat_inbound`) and the new offset
(`chat_state`): a restart resumes after the last update handled, and a redelivered update (Telegram
resends what was not confirmed) makes no second event. Replies and edits go out after the commit.

The Bot API client and the buttons are in telegram_api.py.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sop_registry.ledger.models import Case, CaseEvent, ChatMessage, User

from ..config.sections import TelegramSettings
from . import store
from .answer import Desk, Reply
from .commands import parse, provider_and_ticket
from .telegram_api import CHANNEL, BotApi, BotApiError, clip, keyboard, read_callback
from .telegram_loop import Polling
from .texts import say

__all__ = ["CHANNEL", "BotApiError", "Telegram"]

# What a command lacking its case number is shown as the right way to write it.
EXAMPLES = {"ack": "/ack 12", "hold": "/tunda 12 Telkom TKT-123", "resolve": "/selesai 12 kabel putus"}

log = logging.getLogger("sigap.chat")

SYNC_WITHIN = timedelta(days=14)  # older case messages are left as they are


class Telegram(Polling):
    """The bot: sends case messages (the outbox's `@telegram` channel), takes button presses and
    commands, edits the case messages after a move."""

    def __init__(
        self, desk: Desk, settings: TelegramSettings, client: httpx.AsyncClient | None = None
    ) -> None:
        self.desk = desk
        self.settings = settings
        self.client = client or httpx.AsyncClient()
        self.api = BotApi(settings, self.client, desk.config.notify.send_timeout_s)
        self.username: str | None = None
        self.failures = 0

    @property
    def offset_key(self) -> str:
        """Per bot (the token's number): update ids are a bot's own, so a new token starts afresh."""
        return f"telegram.{self.bot_id}.offset"

    @property
    def bot_id(self) -> str:
        return self.settings.token.get_secret_value().split(":", 1)[0][:20]

    @property
    def clock(self) -> Callable[[], datetime]:
        return self.desk.clock

    @property
    def public_url(self) -> str | None:
        return self.desk.config.console.public_url

    async def aclose(self) -> None:
        await self.client.aclose()

    # --- out: case messages --------------------------------------------------------------------

    async def send_case_message(self, chat_id: str, text: str, case_ids: list[int]) -> str:
        """Send a case message with its keyboard; remember it for the edits. Returns its message id."""
        with Session(self.desk.engine) as session:
            cases = [c for c in (session.get(Case, i) for i in case_ids) if c is not None]
            markup = keyboard(self.settings, cases, chat_id, self.desk.lang, self.public_url)
        params: dict[str, Any] = {"chat_id": chat_id, "text": clip(text), "disable_web_page_preview": True}
        if markup:
            params["reply_markup"] = markup
        result = await self.api.call("sendMessage", **params)  # plain text: no parse_mode, no markup
        message_id = str((result or {}).get("message_id", ""))
        with Session(self.desk.engine) as session, session.begin():
            for case_id in case_ids:
                seen = session.scalar(select(func.max(CaseEvent.seq)).where(CaseEvent.case_id == case_id))
                session.add(
                    ChatMessage(
                        channel=CHANNEL,
                        chat_id=str(chat_id),
                        message_id=message_id,
                        case_id=case_id,
                        purpose="case",
                        text=clip(text),
                        seen_seq=seen or 0,  # what the text already says
                        created_at=self.clock(),
                    )
                )
        return message_id

    async def sync(self) -> int:
        """Every case message gets a line for each move made since it last changed (here, in the
        console or with `sigap case`) and the buttons the case still allows, so a group sees who
        did what and when. One edit per message, however many of its cases moved. Returns the edits."""
        edits = []
        since = self.clock() - SYNC_WITHIN
        with Session(self.desk.engine) as session, session.begin():
            rows = session.scalars(
                select(ChatMessage)
                .where(
                    ChatMessage.channel == CHANNEL,
                    ChatMessage.purpose == "case",
                    ChatMessage.created_at >= since,
                )
                .order_by(ChatMessage.id)
            ).all()
            by_message: dict[tuple[str, str], list[ChatMessage]] = {}
            for row in rows:
                by_message.setdefault((row.chat_id, row.message_id or ""), []).append(row)
            for (chat_id, message_id), group in by_message.items():
                lines = []
                for row in group:
                    events = session.scalars(
                        select(CaseEvent)
                        .where(CaseEvent.case_id == row.case_id, CaseEvent.seq > row.seen_seq)
                        .order_by(CaseEvent.seq)
                    ).all()
                    if events:
                        row.seen_seq = events[-1].seq
                        lines += [line for line in map(self.desk.event_line, events) if line]
                if not lines or not message_id:
                    continue
                head = group[0]
                head.text = clip(head.text + "".join(f"\n\n✔ {line}" for line in lines))
                cases = [c for c in (session.get(Case, r.case_id) for r in group) if c is not None]
                markup = keyboard(self.settings, cases, chat_id, self.desk.lang, self.public_url)
                edits.append((chat_id, message_id, head.text, markup))
        for chat_id, message_id, text, markup in edits:
            params: dict[str, Any] = {"chat_id": chat_id, "message_id": int(message_id), "text": text}
            params["reply_markup"] = markup or {"inline_keyboard": []}
            try:
                await self.api.call("editMessageText", **params)
            except BotApiError as exc:  # an old message Telegram no longer edits: the move stands
                log.warning("telegram edit failed chat=%s message=%s error=%s", chat_id, message_id, exc)
        return len(edits)

    # --- in: updates -----------------------------------------------------------------------------

    def offset(self) -> int | None:
        with Session(self.desk.engine) as session:
            value = store.get_value(session, self.offset_key)
        return int(value) if value else None

    async def handle(self, update: dict[str, Any]) -> None:
        """One update, exactly once: its id, the move and the new offset in one transaction; what
        to say after it commits."""
        update_id = update.get("update_id")
        if not isinstance(update_id, int):
            return
        now = self.clock()
        after: list[Callable[[], Any]] = []
        with Session(self.desk.engine) as session, session.begin():
            if store.first_time(session, CHANNEL, f"{self.bot_id}:u{update_id}", now):
                if isinstance(update.get("callback_query"), dict):
                    self._callback(session, update["callback_query"], now, after)
                elif isinstance(update.get("message"), dict):
                    self._message(session, update["message"], now, after)
            current = store.get_value(session, self.offset_key)
            if current is None or int(current) <= update_id:
                store.set_value(session, self.offset_key, str(update_id + 1), now)
        for step in after:
            try:
                await step()
            except BotApiError as exc:
                log.warning("telegram reply failed update=%s error=%s", update_id, exc)

    def _skip(self, update_id: object) -> None:
        if not isinstance(update_id, int):
            return
        with Session(self.desk.engine) as session, session.begin():
            current = store.get_value(session, self.offset_key)
            if current is None or int(current) <= update_id:
                store.set_value(session, self.offset_key, str(update_id + 1), self.clock())

    def _answer_callback(self, query_id: str, text: str, after: list, alert: bool = False) -> None:
        after.append(
            lambda: self.api.call(
                "answerCallbackQuery", callback_query_id=query_id, text=text[:200], show_alert=alert
            )
        )

    def _say(self, chat_id: str, text: str, after: list, **extra: Any) -> None:
        after.append(lambda: self.api.call("sendMessage", chat_id=chat_id, text=clip(text), **extra))

    def _callback(self, session: Session, query: dict[str, Any], now: datetime, after: list) -> None:
        query_id = str(query.get("id", ""))
        sender = (query.get("from") or {}).get("id")
        message = query.get("message") or {}
        chat_id = str((message.get("chat") or {}).get("id", ""))
        user = self.desk.by_telegram(session, sender)
        if user is None:
            self._answer_callback(query_id, self.desk.refused(CHANNEL, sender).text, after, alert=True)
            return
        pressed = read_callback(self.settings, query.get("data"), chat_id)
        if pressed is None:
            log.warning("telegram callback refused user=%s reason=not this bot's button", user.name)
            self._answer_callback(query_id, say(self.desk.lang, "unknown"), after)
            return
        action, case_id = pressed
        if action == "ack":
            reply = self.desk.move(session, user, case_id, "ack", channel=CHANNEL)
            self._answer_callback(query_id, reply.text, after)
            self._after_move(reply, after)
            return
        _case, refusal = self.desk.check(session, user, case_id, action)
        if refusal is not None:
            self._answer_callback(query_id, refusal.text, after)
            return
        # Tunda and Selesai need words: ask, and wait for this user's answer in this chat.
        question = say(self.desk.lang, f"ask.{action}", case=case_id)
        row = ChatMessage(
            channel=CHANNEL,
            chat_id=chat_id,
            message_id=None,
            case_id=case_id,
            purpose=action,
            user_id=user.id,
            text=question,
            created_at=now,
        )
        session.add(row)
        session.flush()
        row_id = row.id
        self._answer_callback(query_id, say(self.desk.lang, "asked"), after)
        markup = {"force_reply": True}  # in a group the answer is still taken from the one asked only
        after.append(lambda: self._ask(row_id, chat_id, question, markup, message.get("message_id")))

    async def _ask(self, row_id: int, chat_id: str, question: str, markup: dict, reply_to: Any) -> None:
        params: dict[str, Any] = {"chat_id": chat_id, "text": question, "reply_markup": markup}
        if isinstance(reply_to, int):
            params["reply_to_message_id"] = reply_to
        result = await self.api.call("sendMessage", **params)
        with Session(self.desk.engine) as session, session.begin():
            row = session.get(ChatMessage, row_id)
            if row is not None:
                row.message_id = str((result or {}).get("message_id", ""))

    def _after_move(self, reply: Reply, after: list) -> None:
        if reply.done:
            after.append(self.sync)

    def _message(self, session: Session, message: dict[str, Any], now: datetime, after: list) -> None:
        text = message.get("text")
        sender = (message.get("from") or {}).get("id")
        chat_id = str((message.get("chat") or {}).get("id", ""))
        if not isinstance(text, str) or not chat_id:
            return
        command = parse(text)
        user = self.desk.by_telegram(session, sender)
        private = (message.get("chat") or {}).get("type") == "private"
        if user is None:
            if command.action != "unknown" or private:  # a group's chatter is not answered
                self._say(chat_id, self.desk.refused(CHANNEL, sender).text, after)
            return
        if command.action == "unknown":
            reply_to = (message.get("reply_to_message") or {}).get("message_id")
            wait = timedelta(minutes=self.desk.config.chat.prompt_minutes)
            question = store.open_question(
                session, CHANNEL, chat_id, user.id, now, wait, str(reply_to) if reply_to is not None else None
            )
            if question is not None:
                self._answer_question(session, user, question, text, now, chat_id, after)
            elif private:
                self._say(chat_id, say(self.desk.lang, "unknown"), after)
            return
        self._say(chat_id, self._command_text(session, user, command, after), after)

    def _answer_question(
        self,
        session: Session,
        user: User,
        question: ChatMessage,
        text: str,
        now: datetime,
        chat_id: str,
        after: list,
    ) -> None:
        line = " ".join(text.split())
        if question.purpose == "hold":
            provider, ticket = provider_and_ticket(line)
            reply = self.desk.move(
                session, user, question.case_id, "hold", provider=provider, ticket=ticket, channel=CHANNEL
            )
        else:
            reply = self.desk.move(
                session, user, question.case_id, "resolve", note=line or None, channel=CHANNEL
            )
        question.done_at = now
        self._say(chat_id, reply.text, after)
        self._after_move(reply, after)

    def _command_text(self, session: Session, user: User, command, after: list) -> str:
        text, reply = self.desk.answer(session, user, command, CHANNEL, EXAMPLES, "help")
        if reply is not None:
            self._after_move(reply, after)
        return text
