"""Per-user preferences, stored as one JSON document per user."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.database import Database
from bot.db.dialect_insert import dialect_insert
from bot.db.models import UserProfile
from bot.db.timestamps import utcnow

__all__ = ["UserProfileStore", "ensure_profile"]


async def ensure_profile(session: AsyncSession, kind: str, user_id: int) -> None:
    """Create the user's profile row inside ``session`` if it does not exist."""
    insert = dialect_insert(kind, UserProfile).values(
        user_id=user_id, preferences={}, updated_at=utcnow()
    )
    await session.execute(insert.on_conflict_do_nothing(index_elements=[UserProfile.user_id]))


class UserProfileStore:
    """Reads and merges user preferences."""

    def __init__(self, database: Database) -> None:
        self._db = database

    async def preferences(self, user_id: int) -> dict[str, Any]:
        """Return the user's preferences, empty if they never set any."""
        async with self._db.session() as session:
            profile = await session.get(UserProfile, user_id)
            return dict(profile.preferences) if profile else {}

    async def update_preferences(self, user_id: int, **changes: Any) -> dict[str, Any]:
        """Merge ``changes`` into the preferences (a None value removes a key); return them."""
        async with self._db.transaction() as session:
            await ensure_profile(session, self._db.kind, user_id)
            profile = await session.get(UserProfile, user_id, with_for_update=True)
            assert profile is not None  # ensured just above
            merged = {**profile.preferences, **changes}
            profile.preferences = {k: v for k, v in merged.items() if v is not None}
            profile.updated_at = utcnow()
            return dict(profile.preferences)
