"""case SLA clock and escalation columns, notification outbox, maintenance windows

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21

Cases gain what the SLA clock needs (who acknowledged, escalation level reached, the provider wait
with its paused clock, reminders); the notification outbox is written in the case change's own
transaction and keeps every delivery attempt; maintenance windows hold notifications back.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

JSON_T = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("acknowledged_by", sa.String(128), nullable=True))
        batch.add_column(sa.Column("escalation_level", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("paused_at", TS, nullable=True))
        batch.add_column(sa.Column("provider_wait_s", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("last_notified_at", TS, nullable=True))
        batch.add_column(sa.Column("reminders_sent", sa.Integer(), nullable=False, server_default="0"))
    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("role", sa.String(128), nullable=True),
        sa.Column("case_ids", JSON_T, nullable=False),
        sa.Column("message", JSON_T, nullable=False),
        sa.Column("channels", JSON_T, nullable=False),
        sa.Column("channel_pos", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("channel_attempts", sa.Integer(), nullable=False),
        sa.Column("not_before", TS, nullable=False),
        sa.Column("next_attempt_at", TS, nullable=False),
        sa.Column("lease_until", TS, nullable=True),
        sa.Column("sent_at", TS, nullable=True),
        sa.Column("sent_via", sa.String(128), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_notifications_status_next", "notifications", ["status", "next_attempt_at"])
    op.create_table(
        "notification_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("notification_id", sa.Integer(), nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("channel_id", sa.String(128), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("duration_ms", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(["notification_id"], ["notifications.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_notification_attempts_notification", "notification_attempts", ["notification_id"])
    op.create_table(
        "maintenance_windows",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("target", sa.String(512), nullable=False),
        sa.Column("sop_id", sa.String(64), nullable=True),
        sa.Column("starts_at", TS, nullable=True),
        sa.Column("ends_at", TS, nullable=True),
        sa.Column("days", JSON_T, nullable=True),
        sa.Column("start_time", sa.String(5), nullable=True),
        sa.Column("duration_minutes", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(128), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("removed_at", TS, nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("maintenance_windows")
    op.drop_index("ix_notification_attempts_notification", table_name="notification_attempts")
    op.drop_table("notification_attempts")
    op.drop_index("ix_notifications_status_next", table_name="notifications")
    op.drop_table("notifications")
    with op.batch_alter_table("cases") as batch:
        for column in (
            "reminders_sent",
            "last_notified_at",
            "provider_wait_s",
            "paused_at",
            "escalation_level",
            "acknowledged_by",
        ):
            batch.drop_column(column)
