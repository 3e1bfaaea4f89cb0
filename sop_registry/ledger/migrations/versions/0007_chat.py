"""chat: the Telegram update offset, the case messages the bot sent, inbound ids already handled

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01

Answering an alert from Telegram or WhatsApp (issue 19): the bot keeps Telegram's update offset in
the ledger, so a restart neither handles an update twice nor loses one; the ids of the case messages
it sent and the case events each shows, so a move (from chat, the console or the CLI) edits them
(a group sees who did what); the questions it asked (the provider and
ticket, a resolve note) until answered; and the ids of inbound messages and button presses already
handled, so a gateway's retry or a replayed webhook makes one event.
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "chat_state",
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_table(
        "chat_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("chat_id", sa.String(64), nullable=False),
        sa.Column("message_id", sa.String(128), nullable=True),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(16), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("seen_seq", sa.Integer(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("done_at", TS, nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_chat_messages_case", "chat_messages", ["case_id"])
    op.create_index("ix_chat_messages_chat", "chat_messages", ["channel", "chat_id", "message_id"])
    op.create_table(
        "chat_inbound",
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("message_id", sa.String(128), nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.PrimaryKeyConstraint("channel", "message_id"),
    )


def downgrade() -> None:
    op.drop_table("chat_inbound")
    op.drop_index("ix_chat_messages_chat", table_name="chat_messages")
    op.drop_index("ix_chat_messages_case", table_name="chat_messages")
    op.drop_table("chat_messages")
    op.drop_table("chat_state")
