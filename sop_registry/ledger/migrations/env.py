"""Alembic environment: the engine comes from sigap (config.attributes), never from an ini file."""

from alembic import context

from sop_registry.ledger.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    engine = config.attributes["engine"]
    with engine.begin() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",  # SQLite ALTER TABLE needs batch mode
            compare_type=True,
        )
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("sigap migrations run online only: use 'sigap db upgrade'")
run_migrations_online()
