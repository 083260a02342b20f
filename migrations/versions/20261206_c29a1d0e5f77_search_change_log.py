"""Search: a durable change log that every server's index applies, and the registry of those indexes

The outbox (search_outbox) had one consumer that deleted what it applied. The change log
(search_changes) keeps its rows until every registered index (search_indexes) has applied them and
they are old; its ids are never reused (AUTOINCREMENT on SQLite). Rows still pending in the outbox
are carried over. An index of the previous release has no applied change id: it is rebuilt once
(by `flask archive reindex` or the worker), searches meanwhile say that results are incomplete.

Revision ID: c29a1d0e5f77
Revises: c5e8a2d1f7b0
Create Date: 2026-12-06 10:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "c29a1d0e5f77"
down_revision = "c5e8a2d1f7b0"
branch_labels = None
depends_on = None

CHANGE_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade():
    op.create_table(
        "search_changes",
        sa.Column("id", CHANGE_ID, nullable=False),
        sa.Column("kind", sa.String(length=20), server_default="record", nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_changes")),
        sqlite_autoincrement=True,
    )
    op.execute(
        "INSERT INTO search_changes (kind, record_id, created_at) "
        "SELECT kind, record_id, created_at FROM search_outbox ORDER BY id"
    )
    with op.batch_alter_table("search_outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_search_outbox_record_id"))
    op.drop_table("search_outbox")
    op.create_table(
        "search_indexes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("folder", sa.String(length=1000), nullable=False),
        sa.Column("applied_id", sa.BigInteger(), nullable=True),
        sa.Column("rebuild_from", sa.BigInteger(), nullable=True),
        sa.Column("rebuild_requested", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_indexes")),
        sa.UniqueConstraint("name", name=op.f("uq_search_indexes_name")),
    )


def downgrade():
    op.drop_table("search_indexes")
    op.create_table(
        "search_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=20), server_default="record", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_outbox")),
    )
    with op.batch_alter_table("search_outbox", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_search_outbox_record_id"), ["record_id"], unique=False)
    op.drop_table("search_changes")
