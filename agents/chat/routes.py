"""The chat's webhooks under the console's server: POST /chat/telegram (webhook mode) and
POST /chat/whatsapp[/SECRET] (the gateway's incoming messages). Mounted by agents/console/app.py.

An unverifiable call is 401 and changes nothing; a body over 64 KiB is 413. The reply to a WhatsApp
message goes back through the gateway after the move is committed."""

from __future__ import annotations

import hmac
import json
import logging

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from .hub import Chat, build_chat
from .whatsapp import GatewayError, read_inbound, verified

log = logging.getLogger("sigap.chat")

MAX_BODY = 64 * 1024


def _chat(request: Request) -> Chat | None:
    """The chat for one webhook call, closed after it: its httpx client then belongs to the loop the
    call runs in (inbound messages are a few a day; a client made per call costs nothing there)."""
    console = request.app.state.console
    return build_chat(console.config, console.registry, console.engine, console.clock)


def _no(status: int, error: str) -> JSONResponse:
    return JSONResponse({"ok": False, "error": error}, status_code=status)


async def _body(request: Request) -> bytes | None:
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            return None
    return body


async def telegram_webhook(request: Request) -> JSONResponse:
    chat = _chat(request)
    try:
        return await _telegram(request, chat)
    finally:
        if chat is not None:
            await chat.aclose()


async def _telegram(request: Request, chat: Chat | None) -> JSONResponse:
    if chat is None or chat.telegram is None or chat.telegram.settings.mode != "webhook":
        return _no(404, "not found")
    secret = chat.telegram.settings.webhook_secret
    given = request.headers.get("x-telegram-bot-api-secret-token", "")
    if secret is None or not hmac.compare_digest(given.encode(), secret.get_secret_value().encode()):
        log.warning(
            "telegram webhook refused: wrong secret token from=%s", request.client and request.client.host
        )
        return _no(401, "unauthorized")
    body = await _body(request)
    if body is None:
        return _no(413, "too large")
    try:
        update = json.loads(body)
    except ValueError:
        return _no(400, "not JSON")
    if isinstance(update, dict):
        await chat.telegram.handle(update)
    return JSONResponse({"ok": True})


async def whatsapp_webhook(request: Request) -> JSONResponse:
    chat = _chat(request)
    try:
        return await _whatsapp(request, chat)
    finally:
        if chat is not None:
            await chat.aclose()


async def _whatsapp(request: Request, chat: Chat | None) -> JSONResponse:
    if chat is None or chat.whatsapp is None:
        return _no(404, "not found")
    settings = chat.whatsapp.settings
    body = await _body(request)
    if body is None:
        return _no(413, "too large")
    headers = {k.lower(): v for k, v in request.headers.items()}
    if not verified(settings, body, headers, request.path_params.get("secret")):
        log.warning(
            "whatsapp webhook refused: not verified gateway=%s from=%s",
            settings.gateway,
            request.client and request.client.host,
        )
        return _no(401, "unauthorized")
    try:
        inbound = read_inbound(settings, body, headers.get("content-type", ""))
    except (ValueError, UnicodeDecodeError):
        return _no(400, "unreadable")
    if inbound is None:
        return JSONResponse({"ok": True, "ignored": True})
    reply = await run_in_threadpool(chat.whatsapp.answer, inbound)
    if reply:
        try:
            await chat.whatsapp.send(inbound.sender, reply)
        except GatewayError as exc:  # the move stands; the person sees it in the console
            log.warning("whatsapp reply not sent error=%s", exc)
    return JSONResponse({"ok": True})


ROUTES = [
    Route("/telegram", telegram_webhook, methods=["POST"]),
    Route("/whatsapp", whatsapp_webhook, methods=["POST"]),
    Route("/whatsapp/{secret}", whatsapp_webhook, methods=["POST"]),
]
