"""The Telegram Bot API's edge: an httpx client that never puts the token in an error, the buttons
(inline keyboard) of a case message, and their callback_data.

A button's callback_data is `a:12:SIG` (action code, case id, 12 characters of an HMAC-SHA256 over
the action, the case and the chat, keyed from the bot's token): 64 bytes at most (Telegram's limit),
bound to its case, its action and the chat it was sent to; the move is still checked against the
pressing user's role and OPD when pressed, never trusted from the button.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any

import httpx

from sop_registry.ledger.models import Case

from ..config.sections import TelegramSettings
from .texts import BUTTONS

CHANNEL = "telegram"
MAX_TEXT = 4000  # Telegram takes 4096 characters a message
CODES = {"ack": "a", "hold": "h", "resolve": "r"}
ACTIONS = {v: k for k, v in CODES.items()}
# What a case still allows from a chat button, by state.
OPEN_MOVES = {
    "open": ("ack", "hold", "resolve"),
    "escalated": ("ack", "hold", "resolve"),
    "acknowledged": ("hold", "resolve"),
    "waiting_provider": ("resolve",),
}
MAX_KEYBOARD_CASES = 5  # a grouped message gets a row per case, for the first few


class BotApiError(Exception):
    """The Bot API could not be reached or refused; the text never carries the token."""

    def __init__(self, text: str, retry_after: float | None = None) -> None:
        super().__init__(text)
        self.retry_after = retry_after


class BotApi:
    def __init__(self, settings: TelegramSettings, client: httpx.AsyncClient, timeout_s: float = 30) -> None:
        self.base = settings.api_base.rstrip("/")
        self.token = settings.token.get_secret_value()
        self.client = client
        self.timeout_s = timeout_s

    async def call(self, method: str, timeout_s: float | None = None, **params: Any) -> Any:
        url = f"{self.base}/bot{self.token}/{method}"
        try:
            reply = await self.client.post(url, json=params, timeout=timeout_s or self.timeout_s)
            data = reply.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise BotApiError(
                f"{method}: {type(exc).__name__}: {exc}".replace(self.token, "***")[:300]
            ) from None
        if not isinstance(data, dict) or not data.get("ok"):
            data = data if isinstance(data, dict) else {}
            retry = (data.get("parameters") or {}).get("retry_after")
            said = str(data.get("description") or f"HTTP {reply.status_code}")
            raise BotApiError(f"{method}: {said}".replace(self.token, "***")[:300], retry)
        return data.get("result")


def _key(settings: TelegramSettings) -> bytes:
    return hashlib.sha256(b"sigap-chat-callback\0" + settings.token.get_secret_value().encode()).digest()


def _sig(settings: TelegramSettings, code: str, case_id: int, chat_id: str) -> str:
    mac = hmac.new(_key(settings), f"{code}:{case_id}:{chat_id}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode()[:12]


def callback_data(settings: TelegramSettings, action: str, case_id: int, chat_id: str) -> str:
    code = CODES[action]
    data = f"{code}:{case_id}:{_sig(settings, code, case_id, str(chat_id))}"
    assert len(data.encode()) <= 64
    return data


def read_callback(settings: TelegramSettings, data: str | None, chat_id: str) -> tuple[str, int] | None:
    """(action, case id) of a button this bot made for this chat; None for anything else."""
    parts = (data or "").split(":")
    if len(parts) != 3 or parts[0] not in ACTIONS or not parts[1].isdigit() or len(parts[1]) > 9:
        return None
    code, case_id = parts[0], int(parts[1])
    if not hmac.compare_digest(parts[2], _sig(settings, code, case_id, str(chat_id))):
        return None
    return ACTIONS[code], case_id


def keyboard(
    settings: TelegramSettings, cases: list[Case], chat_id: str, lang: str, public_url: str | None
) -> dict[str, Any] | None:
    """The inline keyboard: Tanggapi, Tunda (penyedia), Selesai for what the case still allows, and a
    link to the case in the console when console.public_url is set; a row per case when several."""
    labels = BUTTONS.get(lang) or BUTTONS["id"]
    rows: list[list[dict[str, str]]] = []
    several = len(cases) > 1
    for case in cases[:MAX_KEYBOARD_CASES]:
        row = [
            {
                "text": f"{labels[a]} #{case.id}" if several else labels[a],
                "callback_data": callback_data(settings, a, case.id, chat_id),
            }
            for a in OPEN_MOVES.get(case.state, ())
        ]
        if row:
            rows.append(row)
        if public_url:
            link = {"text": f"{labels['open']} #{case.id}" if several else labels["open"]}
            link["url"] = f"{public_url.rstrip('/')}/cases/{case.id}"
            rows.append([link])
    return {"inline_keyboard": rows} if rows else None


def clip(text: str) -> str:
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…"
