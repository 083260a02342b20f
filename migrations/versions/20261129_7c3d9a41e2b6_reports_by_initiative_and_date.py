"""Progress reports: one index on (initiative, submitted_at) instead of one on the initiative

The home page asks, for each of the partner's initiatives, when its latest report came in; the
pair answers that from the index alone, and still finds an initiative's reports as the single
column did.

Revision ID: 7c3d9a41e2b6
Revises: 5e1f0c2a7b93
Create Date: 2026-11-29 13:30:00

"""

from alembic import op

revision = "7c3d9a41e2b6"
down_revision = "5e1f0c2a7b93"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        "ix_progress_reports_initiative_submitted", "progress_reports", ["initiative_id", "submitted_at"], unique=False
    )
    op.drop_index("ix_progress_reports_initiative_id", table_name="progress_reports")


def downgrade():
    op.create_index("ix_progress_reports_initiative_id", "progress_reports", ["initiative_id"], unique=False)
    op.drop_index("ix_progress_reports_initiative_submitted", table_name="progress_reports")
