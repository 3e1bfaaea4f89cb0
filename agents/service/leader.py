"""Which instance runs the jobs that must run once (the SLA clock, the weekly report).

PostgreSQL: a session-level advisory lock held on a connection of its own. PostgreSQL releases it when
that connection ends, so an instance that dies (kill -9, power cut, network cut) hands over to the next
one that asks, without anyone cleaning up. SQLite (one server): an exclusive flock beside the database,
which keeps a second `sigap serve` on the same file from sweeping twice; the kernel drops it when the
process dies.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import os
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.pool import NullPool

from sop_registry.files import private_dir

log = logging.getLogger("sigap.leader")

LOCK_NAME = "sigap:run-once-jobs"


def lock_key(name: str = LOCK_NAME) -> int:
    """A stable signed 64-bit key for pg_try_advisory_lock (hash() changes between processes)."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


class Leadership:
    """`poll()` returns whether this instance leads now, taking the lead when it is free."""

    def __init__(
        self,
        engine: Engine,
        lock_dir: Path,
        *,
        name: str = LOCK_NAME,
        file_name: str = "sigap.leader.lock",
        quiet: bool = False,
    ) -> None:
        self._quiet = quiet  # failures are the caller's to say (the instance lock refuses the start)
        self._url = engine.url
        self._postgres = engine.url.get_backend_name() == "postgresql"
        self._lock_path = lock_dir / file_name
        self._key = lock_key(name)
        self._conn: Any = None
        self._pg_engine: Engine | None = None
        self._fd: int | None = None
        self.leading = False
        self.error: str | None = None  # why the last poll could not ask at all (not "someone else has it")

    @property
    def where(self) -> str:
        return self._url.render_as_string(hide_password=True) if self._postgres else str(self._lock_path)

    def poll(self) -> bool:
        was = self.leading
        try:
            self.leading = self._poll_postgres() if self._postgres else self._poll_file()
            self.error = None
        except Exception as exc:  # a lost connection is not a crash: stand by and ask again
            self.error = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            if not self._quiet:
                log.warning("leader check failed: %s", self.error)
            self._drop()
            self.leading = False
        if self.leading != was and not self._quiet:
            log.info("leader %s", "acquired" if self.leading else "lost")
        return self.leading

    def _poll_postgres(self) -> bool:
        if self._conn is not None:
            self._conn.execute(text("SELECT 1"))  # still ours only while the connection lives
            return True
        if self._pg_engine is None:
            # Its own engine without a pool: the lock must live on exactly one connection that nothing
            # else returns to a pool or recycles.
            self._pg_engine = create_engine(self._url, poolclass=NullPool)
        conn = self._pg_engine.connect()
        got = conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": self._key}).scalar()
        conn.commit()
        if got:
            self._conn = conn
            return True
        conn.close()
        return False

    def _poll_file(self) -> bool:
        if self._fd is not None:
            return True
        private_dir(self._lock_path.parent)
        fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        return True

    def _drop(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):
                self._conn.close()
            self._conn = None
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def release(self) -> None:
        if self._conn is not None and self.leading:
            with contextlib.suppress(Exception):
                self._conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": self._key})
                self._conn.commit()
        self._drop()
        if self._pg_engine is not None:
            self._pg_engine.dispose()
        self.leading = False


def instance_lock(engine: Engine, lock_dir: Path, probe: str | None) -> Leadership:
    """One `sigap serve` per ledger and probe label, held for the life of the service: a second one
    is refused before it touches anything (it used to mark the live one's runs as interrupted)."""
    label = probe or "-"
    return Leadership(
        engine,
        lock_dir,
        name=f"sigap:instance:{label}",
        file_name=f"sigap.instance.{label}.lock",
        quiet=True,
    )
