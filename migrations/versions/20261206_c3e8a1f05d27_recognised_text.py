"""Record files: whether their text was recognised in images of the pages (OCR), and how surely

Revision ID: c3e8a1f05d27
Revises: b7d2f0e4a913
Create Date: 2026-12-06 10:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "c3e8a1f05d27"
down_revision = "b7d2f0e4a913"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("record_files") as batch:
        batch.add_column(sa.Column("text_recognised", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch.add_column(sa.Column("text_confidence", sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table("record_files") as batch:
        batch.drop_column("text_confidence")
        batch.drop_column("text_recognised")
