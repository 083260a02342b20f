"""Notifications: people following a meeting, and the scheduled announcements already made

Revision ID: c5e8a2f17d40
Revises: c3e8a1f05d27
Create Date: 2026-12-06 10:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "c5e8a2f17d40"
down_revision = "c3e8a1f05d27"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "meeting_follows",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_meeting_follows_user_id_users")),
        sa.ForeignKeyConstraint(["meeting_id"], ["meetings.id"], name=op.f("fk_meeting_follows_meeting_id_meetings")),
        sa.PrimaryKeyConstraint("user_id", "meeting_id", name=op.f("pk_meeting_follows")),
    )
    op.create_index(op.f("ix_meeting_follows_meeting_id"), "meeting_follows", ["meeting_id"])
    op.create_table(
        "notification_once",
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_notification_once")),
    )


def downgrade():
    op.drop_table("notification_once")
    op.drop_index(op.f("ix_meeting_follows_meeting_id"), table_name="meeting_follows")
    op.drop_table("meeting_follows")
