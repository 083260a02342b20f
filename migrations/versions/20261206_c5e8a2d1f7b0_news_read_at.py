"""Users: news_read_at, up to which the dashboard shows the person's notifications as read

Revision ID: c5e8a2d1f7b0
Revises: c5e8a2f17d40
Create Date: 2026-12-06 10:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "c5e8a2d1f7b0"
down_revision = "c5e8a2f17d40"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("news_read_at", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table("users") as batch:
        batch.drop_column("news_read_at")
