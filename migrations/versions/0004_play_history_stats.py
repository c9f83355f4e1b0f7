"""Play history for /stats: each play's track length and whether autoplay chose it.

Revision ID: 0004_play_history_stats
Revises: 0003_durable_jobs
Create Date: 2026-11-28 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_play_history_stats"
down_revision: str | Sequence[str] | None = "0003_durable_jobs"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add play_history.length_ms (NULL for older plays) and play_history.is_autoplay."""
    with op.batch_alter_table("play_history") as batch:
        batch.add_column(sa.Column("length_ms", sa.BigInteger(), nullable=True))
        batch.add_column(
            sa.Column("is_autoplay", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    """Drop the two columns."""
    with op.batch_alter_table("play_history") as batch:
        batch.drop_column("is_autoplay")
        batch.drop_column("length_ms")
