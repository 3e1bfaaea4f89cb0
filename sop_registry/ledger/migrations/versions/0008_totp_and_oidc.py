"""console accounts: an optional TOTP second factor, and users signed in through OpenID Connect

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01

A user may add a second factor (RFC 6238 TOTP): its base32 secret, a secret being enrolled until the
first code confirms it, when it was turned on, and the last time-step a code was accepted for, so a
code seen once (over a shoulder, in a proxy's log) opens nothing a second time. A user who signs in
through the provincial Keycloak (OpenID Connect) has a local row too, so sessions and the case log's
`by` work unchanged: it is found again by the issuer and the token's subject, unique together.
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column("users", sa.Column("totp_secret", sa.String(64), nullable=True))
    op.add_column("users", sa.Column("totp_pending", sa.String(64), nullable=True))
    op.add_column("users", sa.Column("totp_enabled_at", TS, nullable=True))
    op.add_column("users", sa.Column("totp_last_step", sa.BigInteger(), nullable=True))
    op.add_column("users", sa.Column("oidc_issuer", sa.String(255), nullable=True))
    op.add_column("users", sa.Column("oidc_subject", sa.String(255), nullable=True))
    op.create_index("uq_users_oidc", "users", ["oidc_issuer", "oidc_subject"], unique=True)


def downgrade() -> None:
    # Column by column, never batch's copy of the table: on SQLite that copy drops `users`, and the
    # ON DELETE CASCADE of user_sessions and api_tokens would empty them (SQLite 3.35+ drops a column).
    op.drop_index("uq_users_oidc", table_name="users")
    for column in (
        "oidc_subject",
        "oidc_issuer",
        "totp_last_step",
        "totp_enabled_at",
        "totp_pending",
        "totp_secret",
    ):
        op.drop_column("users", column)
