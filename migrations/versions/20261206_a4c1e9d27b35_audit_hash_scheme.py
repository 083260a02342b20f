"""Audit entries: the scheme each entry's hash was made with (plain SHA-256 or keyed HMAC-SHA256)

Entries written before AUDIT_HMAC_KEY was configured keep their plain hashes and stay verifiable;
entries written with the key say so, so that verify knows which to check under the key. The head row gets
a MAC under the key, so that the keyed chain cannot be cut short by moving the head back.

Revision ID: a4c1e9d27b35
Revises: 3f8e1a6c2d94
Create Date: 2026-12-06 07:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "a4c1e9d27b35"
down_revision = "3f8e1a6c2d94"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("audit_entries") as batch:
        batch.add_column(sa.Column("hash_scheme", sa.String(length=16), server_default="sha256", nullable=False))
    with op.batch_alter_table("audit_head") as batch:
        batch.add_column(sa.Column("mac", sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table("audit_head") as batch:
        batch.drop_column("mac")
    with op.batch_alter_table("audit_entries") as batch:
        batch.drop_column("hash_scheme")
