"""Engine set-up and migrations for the ledger (SQLite by default, PostgreSQL via database.url)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from ..errors import InputError
from ..files import private_dir, private_file

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 10_000


def _owned_like_the_ledger(path: Path) -> None:
    """A command run as root (`sudo sigap case list`) makes the ledger's -wal and -shm as root, 0640:
    the service, as user sigap, could then no longer write its own ledger and crash-looped even after
    the database file's mode was fixed. They are given to the ledger file's owner."""
    if os.geteuid() != 0:
        return
    try:
        owner = path.stat()
    except OSError:
        return
    for suffix in ("-wal", "-shm"):
        side = path.with_name(path.name + suffix)
        try:
            st = side.stat()
            if (st.st_uid, st.st_gid) != (owner.st_uid, owner.st_gid):
                os.chown(side, owner.st_uid, owner.st_gid)
        except OSError:
            continue  # not there (yet), or a read-only file system: nothing to hand over


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # WAL lets the report reader and the scheduler's writer work at once; the busy timeout makes a
    # second writer wait instead of failing with "database is locked"; SQLite needs foreign keys
    # switched on per connection.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("SELECT count(*) FROM sqlite_master")  # a read: the -wal and -shm exist from here
    cursor.close()
    database = dbapi_connection.execute("PRAGMA database_list").fetchone()[2]
    if database:
        _owned_like_the_ledger(Path(database))


_USERINFO_PASSWORD = re.compile(r"(://[^/@:\s]*:)[^/]*@")


def redacted(url: str) -> str:
    """A database URL as it may be shown: a password in it (user:PASSWORD@) becomes ***, even in a
    URL too broken to parse (the config refuses such passwords, but the error must not echo one)."""
    return _USERINFO_PASSWORD.sub(r"\1***@", url)


def connect(url: str, *, echo: bool = False, create: bool = True) -> Engine:
    """An engine for the ledger. Creates the parent directory of a SQLite file, unless `create` is
    False: a command that only reads never makes a new, empty ledger where the real one should be
    (a moved state directory or a deleted file would otherwise read as "no cases, all fine")."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise InputError(f"database.url: cannot parse {redacted(url)!r}") from None
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            path = Path(parsed.database).expanduser()
            if not create and not path.exists():
                raise InputError(
                    f"{path}: no ledger here (run 'sigap db upgrade' to create it, or check database.url "
                    "and state_dir)"
                )
            private_dir(path.parent)
            private_file(path)  # 0640 whatever the umask; SQLite gives its -wal and -shm the same mode
        engine = create_engine(parsed, echo=echo, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if parsed.get_backend_name() == "postgresql":
        if parsed.drivername == "postgresql":  # plain "postgresql://" -> the psycopg 3 driver we ship
            parsed = parsed.set(drivername="postgresql+psycopg")
        try:
            return create_engine(parsed, echo=echo, pool_pre_ping=True)
        except ModuleNotFoundError as exc:
            raise InputError(
                f"database.url: driver for {parsed.drivername} not installed ({exc.name}); "
                "install sigap[postgres]"
            ) from None
    raise InputError(
        f"database.url: unsupported database {parsed.get_backend_name()!r} (use sqlite or postgresql)"
    )


# Alembic is imported where migrations are looked at: a read command (`sigap case list`) needs none
# of its 80 ms.


def _alembic_config(engine: Engine):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["engine"] = engine
    return cfg


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head()


@contextmanager
def _database_errors(engine: Engine) -> Iterator[None]:
    """An unreachable or refusing database is bad input: one line naming the (redacted) URL."""
    try:
        yield
    except SQLAlchemyError as exc:
        cause = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        url = engine.url.render_as_string(hide_password=True)
        raise InputError(f"database: {url}: {exc.__class__.__name__}: {cause}{_why(engine)}") from None


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with _database_errors(engine), engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> tuple[str | None, str | None]:
    """Apply migrations, then make sure the ledger takes writes; returns (revision before, after)."""
    from alembic import command

    before = current_revision(engine)
    with _database_errors(engine):
        command.upgrade(_alembic_config(engine), revision)
    check_writable(engine)
    return before, current_revision(engine)


def ready_to_read(engine: Engine) -> None:
    """For a command that only reads: the ledger is at the newest schema (migrated first if not).
    Asked with one SELECT, not Alembic (80 ms of imports), and without writing anything, so a read
    command works on a ledger this user may only read."""
    try:
        with engine.connect() as conn:
            current = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except SQLAlchemyError:
        current = None  # no table yet: upgrade() creates it, or says why it cannot
    if current != _newest_file_revision():
        upgrade(engine)


def _newest_file_revision() -> str:
    """The head, read off the migration files' names (`0005_…py` is revision "0005"): the test suite
    checks that this agrees with Alembic's own head."""
    return max(p.name.split("_", 1)[0] for p in (MIGRATIONS_DIR / "versions").glob("[0-9]*_*.py"))


def check_writable(engine: Engine) -> None:
    """One real write, so a ledger that cannot take one is a clear line at start (exit 2), not a
    traceback from the first run: a read-only file system, a -shm left by another user, a full disk."""
    try:
        with engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = version_num"))
    except SQLAlchemyError as exc:
        cause = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise InputError(f"{_where(engine)}: the ledger takes no writes: {cause}{_why(engine)}") from None


def _where(engine: Engine) -> str:
    path = sqlite_path(engine)
    return str(path) if path else engine.url.render_as_string(hide_password=True)


def sqlite_path(engine: Engine) -> Path | None:
    url = engine.url
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database).expanduser()


def _why(engine: Engine) -> str:
    """Which of the ledger's files this process may not write, and who owns them: what to fix."""
    path = sqlite_path(engine)
    if path is None:
        return ""
    blocked = []
    for item in (path.parent, path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if item.exists() and not os.access(item, os.W_OK):
            st = item.stat()
            blocked.append(f"{item.name or item} (owner uid {st.st_uid}, mode {st.st_mode & 0o777:04o})")
    if not blocked:
        return ""
    try:
        read_only = bool(os.statvfs(path.parent).f_flag & os.ST_RDONLY)
    except OSError:
        read_only = False
    if read_only:
        return f" ({path.parent} is on a read-only file system)"
    return (
        f"; not writable by uid {os.geteuid()}: "
        + ", ".join(blocked)
        + " - give them to the service's user (chown) or, with the service stopped, remove a stray -shm"
    )
