"""Progress reports: a partial index for the reports awaiting review

Revision ID: 5e1f0c2a7b93
Revises: 46e9df084858
Create Date: 2026-11-28 01:20:00

"""

import sqlalchemy as sa
from alembic import op

revision = "5e1f0c2a7b93"
down_revision = "46e9df084858"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        "ix_progress_reports_awaiting_review",
        "progress_reports",
        ["submitted_at"],
        unique=False,
        sqlite_where=sa.text("reviewed_at IS NULL"),
        postgresql_where=sa.text("reviewed_at IS NULL"),
    )


def downgrade():
    op.drop_index("ix_progress_reports_awaiting_review", table_name="progress_reports")
