"""notifications addressed to a target's own contact

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02

A case about an OPD's site is told to the site's own admin (targets.websites[].admin.email) beside
the office's roles. The message is written to the outbox like any other; its recipient is kept
with it, so the worker sends it to that address (through notify.contacts_channel) and `sigap notify`
shows who it was for. NULL: the channels' own recipients, as before.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

JSON_T = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("notifications") as batch:
        batch.add_column(sa.Column("recipient", JSON_T, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("notifications") as batch:
        batch.drop_column("recipient")
