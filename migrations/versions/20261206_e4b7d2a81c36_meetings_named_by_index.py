"""Meetings: lower(code) and lower(city) indexes, so that a search finds the meetings it names by seeks

Revision ID: e4b7d2a81c36
Revises: d1a7c3e90b52
Create Date: 2026-12-06 15:40:00

"""

import sqlalchemy as sa
from alembic import op

revision = "e4b7d2a81c36"
down_revision = "d1a7c3e90b52"
branch_labels = None
depends_on = None


def _city_key() -> str:
    # PostgreSQL compares the city bytewise ("C"), so that a prefix is a range whatever the
    # database's collation (archive/queries.meetings_named); SQLite compares bytewise already.
    return 'lower(city) COLLATE "C"' if op.get_bind().dialect.name == "postgresql" else "lower(city)"


def upgrade():
    op.drop_index("ix_meetings_code_city", table_name="meetings")
    op.create_index("ix_meetings_code_lower", "meetings", [sa.text("lower(code)")])
    op.create_index("ix_meetings_city_lower", "meetings", [sa.text(_city_key())])


def downgrade():
    op.drop_index("ix_meetings_city_lower", table_name="meetings")
    op.drop_index("ix_meetings_code_lower", table_name="meetings")
    op.create_index("ix_meetings_code_city", "meetings", ["code", "city"])
