"""The bot's life: getMe (and setWebhook in webhook mode) at start, then getUpdates long polls until
stopped. While Telegram is unreachable (an uplink down, a proxy refusing) it waits `retry_s`, doubled
per failure up to `max_retry_s` (or Telegram's own retry_after): no busy loop, one log line when it
starts and one when it ends. The outbox does not wait for it: a user's row goes on to WhatsApp and
the role channels deliver as before (agents/notify/worker.py)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

from .telegram_api import BotApiError

log = logging.getLogger("sigap.chat")

SYNC_EVERY_S = 5.0


class Polling:
    """Mixed into `Telegram` (telegram.py), which has the api, settings, offset, handle and _skip."""

    api: Any
    settings: Any
    username: str | None
    failures: int

    async def _wait(self, stop: asyncio.Event, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), seconds)

    def _backoff(self, exc: BotApiError) -> float:
        """Telegram unreachable: the next try after retry_s, doubled per failure, up to max_retry_s
        (or what Telegram's retry_after asks); said once when it starts, once when it ends."""
        self.failures += 1
        if self.failures == 1:
            log.warning("telegram unreachable, retrying with backoff error=%s", exc)
        delay = min(self.settings.retry_s * 2 ** (self.failures - 1), self.settings.max_retry_s)
        return max(delay, exc.retry_after or 0)

    def _recovered(self) -> None:
        if self.failures:
            log.info("telegram reachable again after failures=%s", self.failures)
        self.failures = 0

    async def start(self, stop: asyncio.Event) -> bool:
        """getMe (the bot's name, for commands in groups), and setWebhook in webhook mode."""
        while not stop.is_set():
            try:
                me = await self.api.call("getMe")
                self.username = (me or {}).get("username")
                if self.settings.mode == "webhook":
                    await self._set_webhook()
                self._recovered()
                log.info("telegram bot ready username=%s mode=%s", self.username, self.settings.mode)
                return True
            except BotApiError as exc:
                await self._wait(stop, self._backoff(exc))
        return False

    async def _set_webhook(self) -> None:
        if not self.public_url:
            log.error("telegram webhook mode needs console.public_url; no updates will arrive")
            return
        secret = self.settings.webhook_secret.get_secret_value() if self.settings.webhook_secret else None
        await self.api.call(
            "setWebhook",
            url=f"{self.public_url.rstrip('/')}/chat/telegram",
            secret_token=secret,
            allowed_updates=["message", "callback_query"],
        )

    async def poll_once(self) -> int:
        """One getUpdates (long poll) and its updates handled; the number handled."""
        timeout = self.settings.poll_timeout_s
        params: dict[str, Any] = {"timeout": timeout, "allowed_updates": ["message", "callback_query"]}
        offset = self.offset()
        if offset is not None:
            params["offset"] = offset
        updates = await self.api.call("getUpdates", timeout_s=timeout + 10, **params)
        self._recovered()
        for update in updates or []:
            if isinstance(update, dict):
                try:
                    await self.handle(update)
                except Exception:  # one bad update must not stop the bot, nor come back for ever
                    log.exception("telegram update failed update=%s", update.get("update_id"))
                    self._skip(update.get("update_id"))
        return len(updates or [])

    async def run(self, stop: asyncio.Event, leading: Callable[[], bool] | None = None) -> None:
        """Until stopped: long polling, or (webhook mode) nothing but the start. Instances sharing
        one ledger poll only on the leader (`leading`): Telegram refuses two getUpdates at once."""
        if not await self.start(stop):
            return
        syncing = asyncio.ensure_future(self._sync_loop(stop))
        try:
            if self.settings.mode == "webhook":
                await stop.wait()
            else:
                await self._poll_loop(stop, leading)
        finally:
            syncing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await syncing
        log.info("telegram bot stopped")

    async def _sync_loop(self, stop: asyncio.Event) -> None:
        """Moves made in the console or the CLI reach the case messages within SYNC_EVERY_S."""
        while not stop.is_set():
            await self._wait(stop, SYNC_EVERY_S)
            try:
                await self.sync()
            except Exception:  # the ledger away for a moment: the next round edits
                log.exception("telegram message sync failed")

    async def _poll_loop(self, stop: asyncio.Event, leading: Callable[[], bool] | None) -> None:
        while not stop.is_set():
            if leading is not None and not leading():
                await self._wait(stop, self.settings.retry_s)
                continue
            polling = asyncio.ensure_future(self.poll_once())
            stopping = asyncio.ensure_future(stop.wait())
            done, _ = await asyncio.wait({polling, stopping}, return_when=asyncio.FIRST_COMPLETED)
            if polling not in done:  # asked to stop in the middle of a long poll
                polling.cancel()
                with contextlib.suppress(asyncio.CancelledError, BotApiError):
                    await polling
                break
            stopping.cancel()
            try:
                polling.result()
            except BotApiError as exc:
                await self._wait(stop, self._backoff(exc))
            except Exception:
                await self._wait(stop, self.settings.retry_s)
