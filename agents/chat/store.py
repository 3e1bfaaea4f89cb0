"""The chat's memory in the ledger (migration 0007): Telegram's update offset, the case messages
sent (to edit them after a move), the questions asked, and inbound ids already handled."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sop_registry.ledger.models import ChatInbound, ChatMessage, ChatState


def get_value(session: Session, key: str) -> str | None:
    row = session.get(ChatState, key)
    return row.value if row else None


def set_value(session: Session, key: str, value: str, now: datetime) -> None:
    row = session.get(ChatState, key)
    if row is None:
        session.add(ChatState(key=key, value=value, updated_at=now))
    else:
        row.value, row.updated_at = value, now


def first_time(session: Session, channel: str, message_id: str, now: datetime) -> bool:
    """Record an inbound id; False if it was handled before (a replay or a gateway's retry). In the
    caller's transaction, so the id and the move it causes are committed together or not at all."""
    if session.get(ChatInbound, (channel, message_id[:128])) is not None:
        return False
    try:
        with session.begin_nested():
            session.add(ChatInbound(channel=channel, message_id=message_id[:128], at=now))
    except IntegrityError:  # another worker handled it a moment ago
        return False
    return True


def case_messages(session: Session, channel: str, case_id: int) -> list[ChatMessage]:
    return list(
        session.scalars(
            select(ChatMessage)
            .where(
                ChatMessage.channel == channel, ChatMessage.case_id == case_id, ChatMessage.purpose == "case"
            )
            .order_by(ChatMessage.id)
        )
    )


def message_cases(session: Session, channel: str, chat_id: str, message_id: str) -> list[int]:
    """The cases one sent message is about (a grouped message names several)."""
    return list(
        session.scalars(
            select(ChatMessage.case_id)
            .where(
                ChatMessage.channel == channel,
                ChatMessage.chat_id == chat_id,
                ChatMessage.message_id == message_id,
                ChatMessage.purpose == "case",
            )
            .order_by(ChatMessage.id)
        )
    )


def open_question(
    session: Session,
    channel: str,
    chat_id: str,
    user_id: int,
    now: datetime,
    wait: timedelta,
    reply_to: str | None = None,
) -> ChatMessage | None:
    """The question this user was asked in this chat and has not answered: the one replied to, else
    the newest asked within `wait`."""
    query = select(ChatMessage).where(
        ChatMessage.channel == channel,
        ChatMessage.chat_id == chat_id,
        ChatMessage.user_id == user_id,
        ChatMessage.purpose.in_(("hold", "resolve")),
        ChatMessage.done_at.is_(None),
        ChatMessage.created_at >= now - wait,
    )
    if reply_to is not None:
        found = session.scalars(query.where(ChatMessage.message_id == reply_to)).first()
        if found is not None:
            return found
    return session.scalars(query.order_by(ChatMessage.id.desc())).first()
