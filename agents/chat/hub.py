"""The chat channels for the service's life: the outbox's `@telegram` and `@whatsapp` channels (a
user's own Telegram id or phone, a team group), and the bot's loop. Built only when `chat:` has a
channel; without one nothing here runs and the outbox writes no chat rows."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime

from sop_registry.ledger.models import Notification
from sop_registry.loader import Registry

from ..config import Config
from .answer import Desk
from .telegram import BotApiError, Telegram
from .texts import say
from .whatsapp import GatewayError, WhatsApp

log = logging.getLogger("sigap.chat")

TELEGRAM = "@telegram"  # not a channel id an operator can give (ids start with a letter or digit)
WHATSAPP = "@whatsapp"


def telegram_on(config: Config) -> bool:
    return config.chat.telegram is not None and config.chat.telegram.enabled


def whatsapp_on(config: Config) -> bool:
    return config.chat.whatsapp is not None and config.chat.whatsapp.enabled


def chat_text(text: dict[str, str], case_ids: list[int], lang: str, *, hint: bool) -> str:
    """A notification as a chat message: its title, its body, and (WhatsApp, one case) how to reply."""
    out = f"{text['title']}\n\n{text['body']}"
    if hint and len(case_ids) == 1:
        out += "\n\n" + say(lang, "wa.hint", case=case_ids[0])
    return out


class Chat:
    def __init__(self, config: Config, registry: Registry, engine, clock: Callable[[], datetime]) -> None:
        self.desk = Desk(config, registry, engine, clock)
        self.telegram = Telegram(self.desk, config.chat.telegram) if telegram_on(config) else None
        self.whatsapp = WhatsApp(self.desk, config.chat.whatsapp) if whatsapp_on(config) else None

    def serves(self, channel_id: str) -> bool:
        return (channel_id == TELEGRAM and self.telegram is not None) or (
            channel_id == WHATSAPP and self.whatsapp is not None
        )

    async def send(self, channel_id: str, note: Notification, text: dict[str, str]) -> str | None:
        """Deliver one outbox row to its person or group; DeliveryError-like failures are raised as
        the worker's DeliveryError (imported there, to keep notify -> chat one way)."""
        from ..notify.worker import DeliveryError

        recipient = note.recipient or {}
        lang = recipient.get("language") or self.desk.lang
        try:
            if channel_id == TELEGRAM and self.telegram is not None:
                chat_id = recipient.get("telegram_id")
                if not chat_id:
                    raise DeliveryError("telegram: the recipient has no Telegram id")
                body = chat_text(text, note.case_ids, lang, hint=False)
                message_id = await self.telegram.send_case_message(str(chat_id), body, list(note.case_ids))
                log.info(
                    "telegram case message sent chat=%s message=%s cases=%s",
                    chat_id,
                    message_id,
                    note.case_ids,
                )
                return None
            if channel_id == WHATSAPP and self.whatsapp is not None:
                body = chat_text(text, note.case_ids, lang, hint=True)
                await self.whatsapp.send(recipient.get("phone"), body)
                return None
        except (BotApiError, GatewayError) as exc:
            raise DeliveryError(f"{channel_id}: {exc}"[:500]) from None
        raise DeliveryError(f"{channel_id}: not configured")

    async def run(self, stop: asyncio.Event, leading: Callable[[], bool] | None = None) -> None:
        if self.telegram is not None:
            await self.telegram.run(stop, leading)

    async def aclose(self) -> None:
        for part in (self.telegram, self.whatsapp):
            if part is not None:
                await part.aclose()


def build_chat(config: Config, registry: Registry, engine, clock: Callable[[], datetime]) -> Chat | None:
    if not (telegram_on(config) or whatsapp_on(config)):
        return None
    return Chat(config, registry, engine, clock)
