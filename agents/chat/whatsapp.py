"""WhatsApp through the gateways Indonesian offices use: Fonnte, Wablas, and a self-hosted WAHA. Each is
a small httpx transport with its documented API; replies come back to the gateway's webhook, under the
console's server, verified the way each gateway allows.

Outbound, as documented:
- Fonnte (docs.fonnte.com, "API send message"): `POST https://api.fonnte.com/send`, header
  `Authorization: TOKEN` (the device token), form fields `target` (the number) and `message`;
  answers JSON `{"status": true, ...}` or `{"status": false, "reason": "..."}`.
- Wablas (wablas.com/documentation/api, "send message"): `POST {server}/api/send-message`, header
  `Authorization: TOKEN` (newer accounts: `TOKEN.SECRET_KEY`), form fields `phone` and `message`;
  answers JSON with `status` true/false.
- WAHA (waha.devlike.pro, "Send messages"): `POST {base}/api/sendText` with JSON `{chatId:
  "628...@c.us", text, session}`, header `X-Api-Key` when the server has a key.

Inbound:
- Fonnte and Wablas sign nothing: the webhook URL carries a shared secret
  (`/chat/whatsapp/WEBHOOK_SECRET`), or a gateway that can add headers sends it as
  `X-Sigap-Secret`; compared in constant time; a wrong or missing one is 401.
- WAHA signs: a webhook with `hmac.key` set sends `X-Webhook-Hmac` (hex HMAC of the raw body) and
  `X-Webhook-Hmac-Algorithm: sha512` (waha.devlike.pro/docs/how-to/webhooks); the body's HMAC-SHA512
  with chat.whatsapp.webhook_secret must match, else 401.
- The message id (Wablas `id`, WAHA `payload.id`, Fonnte `inboxid`/`id`, else a digest of the body)
  is recorded with the move in one transaction: a replay or a gateway's retry makes one event.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

import httpx
from sqlalchemy.orm import Session

from ..config.sections import WhatsAppSettings
from . import phones, store
from .answer import Desk
from .commands import parse

# What a reply lacking its case number is shown as the right way to write it.
EXAMPLES = {"ack": "ACK 12", "hold": "TUNDA 12 Telkom TKT-123", "resolve": "SELESAI 12 kabel putus"}

log = logging.getLogger("sigap.chat")

CHANNEL = "whatsapp"
MAX_TEXT = 4000


class GatewayError(Exception):
    """The gateway did not take the message; the text never carries its token."""


class Transport:
    """One gateway's send: (number in 628... form, text) -> the gateway's message id, if it says."""

    def __init__(self, settings: WhatsAppSettings, client: httpx.AsyncClient, timeout_s: float) -> None:
        self.settings = settings
        self.client = client
        self.timeout_s = timeout_s

    def _secrets(self) -> list[str]:
        s = self.settings
        return [x.get_secret_value() for x in (s.token, s.secret_key) if x is not None]

    def _clean(self, text: str) -> str:
        for secret in self._secrets():
            text = text.replace(secret, "***")
        return text[:300]

    async def _post(self, url: str, **kw: Any) -> Any:
        try:
            reply = await self.client.post(url, timeout=self.timeout_s, **kw)
        except httpx.HTTPError as exc:
            raise GatewayError(self._clean(f"{self.settings.gateway}: {type(exc).__name__}: {exc}")) from None
        try:
            data = reply.json()
        except ValueError:
            data = None
        if reply.status_code >= 400:
            raise GatewayError(
                self._clean(f"{self.settings.gateway}: HTTP {reply.status_code} {reply.text[:200]}")
            )
        return data

    async def send(self, number: str, text: str) -> str | None:
        raise NotImplementedError


class Fonnte(Transport):
    async def send(self, number: str, text: str) -> str | None:
        token = self.settings.token.get_secret_value() if self.settings.token else ""
        data = await self._post(
            f"{self.settings.base}/send",
            headers={"Authorization": token},
            data={"target": number, "message": text[:MAX_TEXT], "countryCode": "62"},
        )
        if not isinstance(data, dict) or not data.get("status"):
            reason = data.get("reason") if isinstance(data, dict) else "no JSON answer"
            raise GatewayError(self._clean(f"fonnte: {reason}"))
        ids = data.get("id")
        return str(ids[0] if isinstance(ids, list) and ids else ids) if ids else None


class Wablas(Transport):
    async def send(self, number: str, text: str) -> str | None:
        s = self.settings
        auth = s.token.get_secret_value() if s.token else ""
        if s.secret_key is not None:
            auth = f"{auth}.{s.secret_key.get_secret_value()}"
        data = await self._post(
            f"{s.base}/api/send-message",
            headers={"Authorization": auth},
            data={"phone": number, "message": text[:MAX_TEXT]},
        )
        if not isinstance(data, dict) or not data.get("status"):
            reason = data.get("message") if isinstance(data, dict) else "no JSON answer"
            raise GatewayError(self._clean(f"wablas: {reason}"))
        messages = (data.get("data") or {}).get("messages") if isinstance(data.get("data"), dict) else None
        return str(messages[0].get("id")) if messages and isinstance(messages[0], dict) else None


class Waha(Transport):
    async def send(self, number: str, text: str) -> str | None:
        s = self.settings
        headers = {"X-Api-Key": s.token.get_secret_value()} if s.token else {}
        data = await self._post(
            f"{s.base}/api/sendText",
            headers=headers,
            json={"chatId": f"{number}@c.us", "text": text[:MAX_TEXT], "session": s.session},
        )
        if isinstance(data, dict):
            ident = data.get("id")
            return str(ident.get("_serialized") if isinstance(ident, dict) else ident) if ident else None
        return None


TRANSPORTS = {"fonnte": Fonnte, "wablas": Wablas, "waha": Waha}


def transport(settings: WhatsAppSettings, client: httpx.AsyncClient, timeout_s: float) -> Transport:
    return TRANSPORTS[settings.gateway](settings, client, timeout_s)


# --- inbound ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Inbound:
    message_id: str
    sender: str  # as the gateway wrote it (0812..., 628...@c.us)
    text: str


def verified(
    settings: WhatsAppSettings, body: bytes, headers: dict[str, str], path_secret: str | None
) -> bool:
    """Is this call the gateway's? WAHA: its HMAC-SHA512; Fonnte and Wablas: the URL's secret."""
    secret = settings.webhook_secret.get_secret_value()
    if settings.gateway == "waha":
        algorithm = headers.get("x-webhook-hmac-algorithm", "").lower()
        given = headers.get("x-webhook-hmac", "").strip().lower()
        if algorithm != "sha512" or not given:
            return False
        expected = hmac.new(secret.encode(), body, hashlib.sha512).hexdigest()
        return hmac.compare_digest(given, expected)
    given = path_secret if path_secret is not None else headers.get("x-sigap-secret")
    return given is not None and hmac.compare_digest(given.encode(), secret.encode())


def _fields(body: bytes, content_type: str) -> dict[str, Any]:
    if "json" in content_type or body[:1] in (b"{", b"["):
        data = json.loads(body.decode("utf-8"))
        return data if isinstance(data, dict) else {}
    return dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))


def _truthy(value: Any) -> bool:
    return value is True or str(value).lower() in ("true", "1")


def read_inbound(settings: WhatsAppSettings, body: bytes, content_type: str) -> Inbound | None:
    """The incoming chat message in a gateway's webhook call; None for anything else (a status
    update, our own message, a group's message, media without text)."""
    data = _fields(body, content_type)
    digest = "sha256:" + hashlib.sha256(body).hexdigest()
    if settings.gateway == "waha":
        if data.get("event") != "message":
            return None
        payload = data.get("payload") or {}
        if (
            not isinstance(payload, dict)
            or payload.get("fromMe")
            or str(payload.get("from", "")).endswith("@g.us")
        ):
            return None
        ident = payload.get("id")
        return Inbound(str(ident or digest), str(payload.get("from") or ""), str(payload.get("body") or ""))
    if settings.gateway == "wablas":
        if _truthy(data.get("isFromMe")) or _truthy(data.get("isGroup")):
            return None
        return Inbound(
            str(data.get("id") or digest), str(data.get("phone") or ""), str(data.get("message") or "")
        )
    # fonnte: device, sender, message, member (a group's sender), inboxid on newer accounts
    if data.get("member"):
        return None
    ident = data.get("inboxid") or data.get("id")
    return Inbound(str(ident or digest), str(data.get("sender") or ""), str(data.get("message") or ""))


class WhatsApp:
    """The outbox's `@whatsapp` channel and the replies from the gateway's webhook."""

    def __init__(
        self, desk: Desk, settings: WhatsAppSettings, client: httpx.AsyncClient | None = None
    ) -> None:
        self.desk = desk
        self.settings = settings
        self.client = client or httpx.AsyncClient()
        self.transport = transport(settings, self.client, desk.config.notify.send_timeout_s)

    async def aclose(self) -> None:
        await self.client.aclose()

    async def send(self, phone: str | None, text: str) -> str | None:
        number = phones.normalise(phone)
        if number is None:
            raise GatewayError(f"{self.settings.gateway}: not an Indonesian mobile number")
        return await self.transport.send(number, text)

    def answer(self, inbound: Inbound) -> str | None:
        """Handle one verified incoming message (blocking: the ledger); the reply to send, or None
        for a replay."""
        now = self.desk.clock()
        with Session(self.desk.engine) as session, session.begin():
            if not store.first_time(session, CHANNEL, inbound.message_id, now):
                log.info("whatsapp replay ignored id=%s", inbound.message_id[:64])
                return None
            user = self.desk.by_phone(session, inbound.sender)
            if user is None:
                return self.desk.refused(CHANNEL, phones.normalise(inbound.sender) or "?").text
            command = parse(inbound.text)
            text, _reply = self.desk.answer(session, user, command, CHANNEL, EXAMPLES, "help.wa")
            return text
