"""The people a case message reaches on chat, beside the role channels: each active user whose
`acts_as` names one of the alert's roles (the step's pelaksana, the technician the agent named), on
their own Telegram id and/or phone, and the team groups of chat.telegram.groups for those roles.

A user's row goes through Telegram first and WhatsApp as its fallback (Telegram unreachable during
an ISP failover: the WhatsApp gateway still delivers); a group's row through Telegram only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sop_registry.ledger.models import User

from ..config import Config

TELEGRAM = "@telegram"  # the same names as agents/chat/hub.py: not ids an operator can give
WHATSAPP = "@whatsapp"


@dataclass(frozen=True)
class ChatRecipient:
    key: str  # "user:7", "group:-100123": one message per recipient per group of alerts
    label: str  # what `sigap notify list` shows as its role
    chain: tuple[str, ...]
    recipient: dict[str, Any]


def is_chat(recipient: dict[str, Any] | None) -> bool:
    return bool(recipient) and "chat" in recipient  # type: ignore[operator]


def chat_people(session: Session, config: Config) -> list[User]:
    chat = config.chat
    telegram = chat.telegram is not None and chat.telegram.enabled
    whatsapp = chat.whatsapp is not None and chat.whatsapp.enabled
    if not (telegram or whatsapp):
        return []
    users = session.scalars(select(User).where(User.disabled.is_(False)).order_by(User.id))
    return [u for u in users if (telegram and u.telegram_id) or (whatsapp and u.phone)]


def recipients_for(config: Config, people: list[User], roles: tuple[str, ...]) -> list[ChatRecipient]:
    """Who hears of an alert for these roles on chat."""
    chat = config.chat
    telegram = chat.telegram is not None and chat.telegram.enabled
    whatsapp = chat.whatsapp is not None and chat.whatsapp.enabled
    wanted = {r.casefold() for r in roles if r}
    out = []
    for user in people:
        if not wanted & {a.casefold() for a in user.acts_as or ()}:
            continue
        chain = tuple(
            c
            for c, on in ((TELEGRAM, telegram and user.telegram_id), (WHATSAPP, whatsapp and user.phone))
            if on
        )
        recipient = {
            "chat": "user",
            "user_id": user.id,
            "name": user.display_name,
            "telegram_id": user.telegram_id if telegram else None,
            "phone": user.phone if whatsapp else None,
        }
        out.append(ChatRecipient(f"user:{user.id}", f"pengguna: {user.display_name}"[:128], chain, recipient))
    if telegram:
        for group in chat.telegram.groups:  # type: ignore[union-attr]
            names = {r.casefold() for r in group.roles}
            if "*" in names or wanted & names:
                recipient = {"chat": "group", "telegram_id": group.chat_id}
                out.append(
                    ChatRecipient(f"group:{group.chat_id}", f"grup: {group.chat_id}", (TELEGRAM,), recipient)
                )
    return out
