"""Guild language "auto": replies follow each member's Discord language unless the guild chose one.

Until now nobody could choose a guild language, so a stored "en" is only the
default of the day the guild first changed a setting: it becomes "auto".

Revision ID: 0006_guild_language_auto
Revises: 0005_effects_sponsorblock
Create Date: 2026-11-29 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_guild_language_auto"
down_revision: str | Sequence[str] | None = "0005_effects_sponsorblock"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_guild_configs = sa.table("guild_configs", sa.column("language", sa.String(16)))


def upgrade() -> None:
    """Stored "en" (the old default) becomes "auto"."""
    op.execute(
        _guild_configs.update().where(_guild_configs.c.language == "en").values(language="auto")
    )


def downgrade() -> None:
    """"auto" goes back to the old default, "en"."""
    op.execute(
        _guild_configs.update().where(_guild_configs.c.language == "auto").values(language="en")
    )
