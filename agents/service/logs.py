"""Logging for the service: one line per event on stdout, for journald; secrets never written.

Under systemd (JOURNAL_STREAM set) a line starts with the syslog priority, "<4>", which journald turns
into the entry's priority and strips; journald adds the time. Run by hand, lines carry the time.
Every secret of the config (SNMP communities, v3 keys, channel URLs with tokens, the database password)
is replaced with "***" in any line, whatever code logged it: a library's error message that quotes a
URL must not leak a Telegram bot token into the journal.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, SecretStr

_PRIORITY = {logging.DEBUG: 7, logging.INFO: 6, logging.WARNING: 4, logging.ERROR: 3, logging.CRITICAL: 2}


def secret_values(model: Any) -> set[str]:
    """Every SecretStr value in a pydantic model tree."""
    found: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, SecretStr):
            secret = value.get_secret_value()
            if len(secret) >= 3:  # "a" would mask every a; such a secret is not one
                found.add(secret)
        elif isinstance(value, BaseModel):
            for name in type(value).model_fields:
                walk(getattr(value, name))
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list | tuple):
            for item in value:
                walk(item)

    walk(model)
    return found


class Redact(logging.Filter):
    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        # Longest first: a URL containing a token is masked whole, not around the token.
        self._secrets = sorted(set(secrets), key=len, reverse=True)

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._secrets:
            return True
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        clean = message
        exc_text = record.exc_text
        for secret in self._secrets:
            clean = clean.replace(secret, "***")
            if exc_text:
                exc_text = exc_text.replace(secret, "***")
        if clean != message:
            record.msg, record.args = clean, None
        record.exc_text = exc_text
        return True


class _Formatter(logging.Formatter):
    def __init__(self, journal: bool) -> None:
        fmt = "%(name)s %(message)s" if journal else "%(asctime)s %(levelname)s %(name)s %(message)s"
        super().__init__(fmt)
        self.journal = journal

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        if self.journal:
            # One event, one journal entry: a traceback's lines are joined, not split into entries.
            prefix = f"<{_PRIORITY.get(record.levelno, 6)}>"
            return prefix + text.replace("\n", " | ")
        return text


def setup(secrets: Iterable[str] = (), level: int = logging.INFO) -> None:
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(_Formatter(journal=bool(os.environ.get("JOURNAL_STREAM"))))
    handler.addFilter(Redact(secrets))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # APScheduler says "Running job ..." for every run of every job: the runner's own line says more.
    logging.getLogger("apscheduler.executors").setLevel(logging.WARNING)
    logging.getLogger("apscheduler.scheduler").setLevel(logging.WARNING)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)
