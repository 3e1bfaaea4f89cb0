"""The replies people send, parsed: `/ack 12`, `ACK 12`, `TUNDA 12 Telkom TKT-123`, `/selesai 12 kabel
putus`, `KASUS`, `/status`, `/bantuan`. Pure: text in, a `Command` out; no I/O.

Telegram commands start with "/" and may carry the bot's name in a group (`/ack@SigapBot 12`);
WhatsApp replies are the same words without the slash, in any case.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# word -> the action it means (the console's move names; "cases", "status", "help" only read)
WORDS = {
    "ack": "ack",
    "tanggapi": "ack",
    "tunda": "hold",
    "hold": "hold",
    "selesai": "resolve",
    "resolve": "resolve",
    "kasus": "cases",
    "cases": "cases",
    "status": "status",
    "bantuan": "help",
    "help": "help",
    "start": "help",
}
MOVES = frozenset({"ack", "hold", "resolve"})
MAX_TEXT = 2000  # a chat message longer than this is not a command anyone typed
_HEAD = re.compile(r"^/?([A-Za-z]+)(?:@[A-Za-z0-9_]{1,64})?(?:\s+|$)")
_CASE = re.compile(r"^#?([0-9]{1,9})(?:\s+|$)")


@dataclass(frozen=True)
class Command:
    action: str  # ack | hold | resolve | cases | status | help | unknown
    case_id: int | None = None
    provider: str | None = None
    ticket: str | None = None
    note: str | None = None

    @property
    def moves(self) -> bool:
        return self.action in MOVES


UNKNOWN = Command("unknown")


def provider_and_ticket(text: str) -> tuple[str | None, str | None]:
    """'Telkom TKT-123' -> ('Telkom', 'TKT-123'); 'Icon Plus' -> ('Icon Plus', None): the last word
    is the ticket when it has a digit in it (ticket numbers do, provider names rarely)."""
    words = text.split()
    if not words:
        return None, None
    if len(words) > 1 and any(ch.isdigit() for ch in words[-1]):
        return " ".join(words[:-1]), words[-1]
    return " ".join(words), None


def parse(text: str | None) -> Command:
    """A reply as a command; anything else is `UNKNOWN` (a question's answer is read by the caller)."""
    text = (text or "").strip()
    if not text or len(text) > MAX_TEXT:
        return UNKNOWN
    head = _HEAD.match(text)
    if head is None or head.group(1).lower() not in WORDS:
        return UNKNOWN
    action = WORDS[head.group(1).lower()]
    rest = text[head.end() :].strip()
    if action not in MOVES:
        return Command(action)
    number = _CASE.match(rest)
    if number is None:
        return Command(action)  # "ACK" alone: the caller says how to write it
    case_id = int(number.group(1))
    rest = " ".join(rest[number.end() :].split())  # one line: a note's line breaks become spaces
    if action == "hold":
        provider, ticket = provider_and_ticket(rest)
        return Command(action, case_id, provider=provider, ticket=ticket)
    return Command(action, case_id, note=rest or None)


def is_command(text: str | None) -> bool:
    return parse(text) is not UNKNOWN
