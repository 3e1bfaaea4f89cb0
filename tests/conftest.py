from __future__ import annotations

import itertools
import os
from collections.abc import Iterator

import pytest
from aiosmtpd.controller import Controller
from helpers.netservers import free_port
from helpers.pgserver import PostgresServer, PostgresUnavailable
from helpers.receivers import Mailbox, Webhook

_db_counter = itertools.count(1)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer]:
    try:
        server = PostgresServer()
        server.start()
    except (PostgresUnavailable, OSError) as exc:
        # In CI the server must be there: .ci/run installs it, and a skip would hide a broken ledger.
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL needed in CI: {exc}")
        pytest.skip(f"PostgreSQL not available: {exc}")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path) -> str:
    """A fresh, empty database on each backend the ledger supports."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'ledger.db'}"
    server = request.getfixturevalue("pg_server")
    return server.create_database(f"sigap_test_{next(_db_counter)}")


@pytest.fixture
def gateway() -> Iterator[Webhook]:
    """A local WhatsApp/Telegram gateway stand-in on loopback that accepts every message."""
    hook = Webhook()
    hook.up = True
    yield hook
    hook.stop()


@pytest.fixture
def mailbox() -> Iterator[tuple[Mailbox, int]]:
    """A real SMTP server (aiosmtpd) on loopback: (what it received, its port)."""
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield box, controller.port
    controller.stop()
