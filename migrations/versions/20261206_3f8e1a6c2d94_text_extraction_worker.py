"""Record files: text read by the extraction worker, outside the request

Uploads are filed with their text "pending"; `flask worker` claims them (text_claimed_at,
text_attempts: the claim's number), reads each in a limited child process and writes the text,
or in text_problem the reason it could not be read (a limit reached, a damaged file). The index
on text_status finds the pending files among all.

Revision ID: 3f8e1a6c2d94
Revises: a4a5dcdcbf5a
Create Date: 2026-12-06 07:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "3f8e1a6c2d94"
down_revision = "a4a5dcdcbf5a"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("record_files") as batch:
        batch.add_column(sa.Column("text_problem", sa.String(length=300), server_default="", nullable=False))
        batch.add_column(sa.Column("text_claimed_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("text_attempts", sa.Integer(), server_default="0", nullable=False))
        batch.create_index("ix_record_files_text_status", ["text_status"], unique=False)


def downgrade():
    with op.batch_alter_table("record_files") as batch:
        batch.drop_index("ix_record_files_text_status")
        batch.drop_column("text_attempts")
        batch.drop_column("text_claimed_at")
        batch.drop_column("text_problem")
