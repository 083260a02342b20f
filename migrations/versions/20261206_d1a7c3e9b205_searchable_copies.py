"""Searchable copies: a PDF/A copy of each scanned file, with its recognised text, beside the original

Revision ID: d1a7c3e9b205
Revises: c5e8a2d41f07
Create Date: 2026-12-06 12:45:00

A new table only: the previous release neither reads nor writes it.
"""

import sqlalchemy as sa
from alembic import op

revision = "d1a7c3e9b205"
down_revision = "c5e8a2d41f07"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "searchable_copies",
        sa.Column("record_file_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("model", sa.String(length=40), server_default="", nullable=False),
        sa.Column("blob_sha256", sa.String(length=64), nullable=True),
        sa.Column("size", sa.BigInteger(), nullable=True),
        sa.Column("problem", sa.String(length=300), server_default="", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("made_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["record_file_id"], ["record_files.id"], name=op.f("fk_searchable_copies_record_file_id_record_files")
        ),
        sa.ForeignKeyConstraint(["blob_sha256"], ["blobs.sha256"], name=op.f("fk_searchable_copies_blob_sha256_blobs")),
        sa.PrimaryKeyConstraint("record_file_id", name=op.f("pk_searchable_copies")),
    )
    op.create_index(op.f("ix_searchable_copies_status"), "searchable_copies", ["status"])


def downgrade():
    op.drop_index(op.f("ix_searchable_copies_status"), table_name="searchable_copies")
    op.drop_table("searchable_copies")
