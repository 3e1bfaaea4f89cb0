"""step runs that are the evidence of another step's measurement

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01

Steps of several SOPs that ask the same question of the same targets on the same schedule share one
measurement. Each step still gets its step run (the evidence that the step was done); the ones that
did not measure point at the run that did, so readers of measurements (the weekly report) count
each crawl once.
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("step_runs") as batch:
        batch.add_column(sa.Column("measured_by_run_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_step_runs_measured_by", "step_runs", ["measured_by_run_id"], ["id"], ondelete="SET NULL"
        )


def downgrade() -> None:
    with op.batch_alter_table("step_runs") as batch:
        batch.drop_constraint("fk_step_runs_measured_by", type_="foreignkey")
        batch.drop_column("measured_by_run_id")
