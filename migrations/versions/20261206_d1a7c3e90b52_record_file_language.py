"""Record files: the language of each file's text (translations of one document)

Revision ID: d1a7c3e90b52
Revises: d1a7c3e9b205
Create Date: 2026-12-06 13:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "d1a7c3e90b52"
down_revision = "d1a7c3e9b205"
branch_labels = None
depends_on = None


def upgrade():
    # Nullable: files filed before are "unknown", and the index detects their language as it did.
    with op.batch_alter_table("record_files") as batch:
        batch.add_column(sa.Column("language", sa.String(length=8), nullable=True))


def downgrade():
    with op.batch_alter_table("record_files") as batch:
        batch.drop_column("language")
