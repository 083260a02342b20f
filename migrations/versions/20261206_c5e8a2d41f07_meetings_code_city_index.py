"""Meetings: an index on (code, city), for the search that finds the meetings a query names

Revision ID: c5e8a2d41f07
Revises: c29a1d0e5f77
Create Date: 2026-12-06 11:00:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'c5e8a2d41f07'
down_revision = 'c29a1d0e5f77'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.create_index('ix_meetings_code_city', ['code', 'city'], unique=False)


def downgrade():
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.drop_index('ix_meetings_code_city')
