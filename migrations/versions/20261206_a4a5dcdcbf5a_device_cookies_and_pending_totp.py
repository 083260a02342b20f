"""Known devices for sign-in throttling; failures by step and device; pending TOTP secret on the server

Revision ID: a4a5dcdcbf5a
Revises: 7c3d9a41e2b6
Create Date: 2026-12-06 07:00:00

Issue 25, items 12 and 13: ``trusted_devices`` holds the hashed nonces of device cookies;
``login_attempts`` records which step failed and from which known device; ``user_sessions``
keeps the secret being enrolled (it used to travel in the signed, readable session cookie)
and counts wrong current passwords typed in the session.
Failures recorded before this revision were password failures or, with an ``mfa:`` prefix on
the email, second-factor failures: they are rewritten to the new shape.
"""

import sqlalchemy as sa
from alembic import op

revision = "a4a5dcdcbf5a"
down_revision = "7c3d9a41e2b6"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "trusted_devices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("nonce_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("locked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_trusted_devices_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trusted_devices")),
        sa.UniqueConstraint("nonce_hash", name=op.f("uq_trusted_devices_nonce_hash")),
    )
    with op.batch_alter_table("trusted_devices", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_trusted_devices_user_id"), ["user_id"], unique=False)

    with op.batch_alter_table("login_attempts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kind", sa.String(length=10), server_default="password", nullable=False))
        batch_op.add_column(sa.Column("device_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_login_attempts_device_id"), ["device_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_login_attempts_device_id_trusted_devices"),
            "trusted_devices",
            ["device_id"],
            ["id"],
            ondelete="SET NULL",
        )
    attempts = sa.table("login_attempts", sa.column("email", sa.String), sa.column("kind", sa.String))
    op.execute(
        attempts.update()
        .where(attempts.c.email.like("mfa:%"))
        .values(kind="mfa", email=sa.func.substr(attempts.c.email, 5))
    )

    with op.batch_alter_table("user_sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pending_totp_secret", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("pending_totp_started_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("password_failures", sa.Integer(), server_default="0", nullable=False))


def downgrade():
    with op.batch_alter_table("user_sessions", schema=None) as batch_op:
        batch_op.drop_column("password_failures")
        batch_op.drop_column("pending_totp_started_at")
        batch_op.drop_column("pending_totp_secret")

    attempts = sa.table("login_attempts", sa.column("email", sa.String), sa.column("kind", sa.String))
    op.execute(attempts.update().where(attempts.c.kind == "mfa").values(email="mfa:" + attempts.c.email))
    with op.batch_alter_table("login_attempts", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_login_attempts_device_id_trusted_devices"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_login_attempts_device_id"))
        batch_op.drop_column("device_id")
        batch_op.drop_column("kind")

    with op.batch_alter_table("trusted_devices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_trusted_devices_user_id"))
    op.drop_table("trusted_devices")
