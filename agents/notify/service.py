"""The notifier loop: the SLA sweep and the outbox delivery, every `notify.poll_s`, until stopped.

`sigap notify run` runs it alone; the service runs the same two calls on its own schedule. SIGTERM
and SIGINT end it between rounds: an attempt in flight finishes and is recorded first.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import Engine

from sop_registry.loader import Registry

from ..config import Config
from ..sla import log_result, sweep
from .worker import AppriseSender, ChatSend, DeliveryStats, Send, deliver_due

log = logging.getLogger("sigap.notify")


async def drain(
    engine: Engine,
    config: Config,
    send: Send,
    clock: Callable[[], datetime],
    stop: asyncio.Event,
    chat: ChatSend | None = None,
) -> DeliveryStats:
    """Send everything due now, in batches, until nothing is left or we are asked to stop."""
    total = DeliveryStats()
    while True:
        stats = await deliver_due(engine, config, send, clock, chat=chat)
        total += stats
        if stats.sent + stats.failed == 0 or stop.is_set():
            return total


async def run_notifier(
    engine: Engine,
    config: Config,
    registry: Registry,
    *,
    once: bool = False,
    send: Send | None = None,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    stop: asyncio.Event | None = None,
) -> None:
    send = send or AppriseSender(config.notify.send_timeout_s)
    stop = stop or asyncio.Event()
    chat = None
    if config.chat.telegram is not None or config.chat.whatsapp is not None:
        from ..chat.hub import build_chat  # a user's own Telegram id or phone; no polling here

        chat = build_chat(config, registry, engine, clock)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        # Not the main thread (a test, the service's own loop): the caller stops us through `stop`.
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    log.info("notifier started channels=%s", [c.id for c in config.notify.channels if c.enabled])
    while True:
        log_result(sweep(engine, config, registry, clock))
        await drain(engine, config, send, clock, stop, chat)
        if once or stop.is_set():
            break
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), config.notify.poll_s)
    if chat is not None:
        await chat.aclose()
    log.info("notifier stopped")
