"""Effects and SponsorBlock survive a restart: queue effects, guild SponsorBlock categories.

Revision ID: 0005_effects_sponsorblock
Revises: 0004_play_history_stats
Create Date: 2026-11-30 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005_effects_sponsorblock"
down_revision: str | Sequence[str] | None = "0004_play_history_stats"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copy of the model type: a revision must not change when models do.
JSON_DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    """Add queues.effects and guild_configs.sponsorblock_categories (NULL: none)."""
    with op.batch_alter_table("queues") as batch:
        batch.add_column(sa.Column("effects", JSON_DOCUMENT, nullable=True))
    with op.batch_alter_table("guild_configs") as batch:
        batch.add_column(sa.Column("sponsorblock_categories", JSON_DOCUMENT, nullable=True))


def downgrade() -> None:
    """Drop the two columns."""
    with op.batch_alter_table("guild_configs") as batch:
        batch.drop_column("sponsorblock_categories")
    with op.batch_alter_table("queues") as batch:
        batch.drop_column("effects")
