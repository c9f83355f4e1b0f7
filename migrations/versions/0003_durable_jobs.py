"""Durable jobs: work that must survive a restart (lease, retries, dead letter).

Revision ID: 0003_durable_jobs
Revises: 0002_api_keys
Create Date: 2026-11-27 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003_durable_jobs"
down_revision: str | Sequence[str] | None = "0002_api_keys"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the model types: a revision must not change when models do.
SURROGATE_KEY = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON_DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Create the durable_jobs table and its claim index."""
    op.create_table(
        "durable_jobs",
        sa.Column("id", SURROGATE_KEY, autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("payload", JSON_DOCUMENT, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("run_after", TIMESTAMP, nullable=False),
        sa.Column("locked_by", sa.String(length=64), nullable=True),
        sa.Column("locked_until", TIMESTAMP, nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("dedupe_key", sa.String(length=200), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_durable_jobs")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_durable_jobs_dedupe_key")),
    )
    op.create_index(
        "ix_durable_jobs_status_run_after",
        "durable_jobs",
        ["status", "run_after"],
        unique=False,
    )


def downgrade() -> None:
    """Drop the durable_jobs table."""
    op.drop_index("ix_durable_jobs_status_run_after", table_name="durable_jobs")
    op.drop_table("durable_jobs")
