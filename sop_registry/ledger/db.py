"""Engine set-up and migrations for the ledger (SQLite by default, PostgreSQL via database.url)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from ..errors import InputError

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 10_000


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # WAL lets the report reader and the scheduler's writer work at once; the busy timeout makes a
    # second writer wait instead of failing with "database is locked"; SQLite needs foreign keys
    # switched on per connection.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def connect(url: str, *, echo: bool = False, create: bool = True) -> Engine:
    """An engine for the ledger. Creates the parent directory of a SQLite file, unless `create` is
    False: a command that only reads never makes a new, empty ledger where the real one should be
    (a moved state directory or a deleted file would otherwise read as "no cases, all fine")."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise InputError(f"database.url: cannot parse {url!r}") from None
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            path = Path(parsed.database).expanduser()
            if not create and not path.exists():
                raise InputError(
                    f"{path}: no ledger here (run 'sigap db upgrade' to create it, or check database.url "
                    "and state_dir)"
                )
            path.parent.mkdir(parents=True, exist_ok=True)
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


def _alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["engine"] = engine
    return cfg


def head_revision() -> str:
    return ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head()


@contextmanager
def _database_errors(engine: Engine) -> Iterator[None]:
    """An unreachable or refusing database is bad input: one line naming the (redacted) URL."""
    try:
        yield
    except SQLAlchemyError as exc:
        cause = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        url = engine.url.render_as_string(hide_password=True)
        raise InputError(f"database: {url}: {exc.__class__.__name__}: {cause}") from None


def current_revision(engine: Engine) -> str | None:
    with _database_errors(engine), engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> tuple[str | None, str | None]:
    """Apply migrations; returns (revision before, revision after)."""
    before = current_revision(engine)
    with _database_errors(engine):
        command.upgrade(_alembic_config(engine), revision)
    return before, current_revision(engine)
