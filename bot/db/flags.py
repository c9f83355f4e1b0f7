"""Feature flags: a global value per name, optionally overridden per guild."""

from __future__ import annotations

from types import MappingProxyType

from sqlalchemy import ColumnElement, delete, select

from bot.db.database import Database
from bot.db.dialect_insert import dialect_insert
from bot.db.models import FeatureFlag
from bot.db.timestamps import utcnow

__all__ = ["DEFAULT_FLAGS", "FlagStore", "resolve_flag"]

# The value a flag has when no row says otherwise; seeded as global rows so
# operators can see and flip them.
DEFAULT_FLAGS: MappingProxyType[str, bool] = MappingProxyType(
    {
        "autoplay": True,
        "sponsorblock": True,
        "lyrics": False,
        "filters": True,
        "saved_playlists": True,
        "vote_skip": True,
        "rest_api": True,
        "status_page_guild_names": False,
    }
)


def resolve_flag(name: str, guild_value: bool | None, global_value: bool | None) -> bool:
    """Pick a flag's effective value: guild override, then global row, then code default."""
    if guild_value is not None:
        return guild_value
    if global_value is not None:
        return global_value
    return DEFAULT_FLAGS.get(name, False)


class FlagStore:
    """Reads and writes ``FeatureFlag`` rows; ``guild_id=None`` is the global value."""

    def __init__(self, database: Database) -> None:
        self._db = database

    async def get(self, name: str, guild_id: int | None = None) -> bool:
        """Return whether ``name`` is enabled for the guild (or globally)."""
        guild_value = await self.get_stored(name, guild_id) if guild_id is not None else None
        return resolve_flag(name, guild_value, await self.get_stored(name, None))

    async def get_stored(self, name: str, guild_id: int | None) -> bool | None:
        """Return the stored value of exactly this row, None if there is no row."""
        query = select(FeatureFlag.enabled).where(FeatureFlag.name == name, _guild_clause(guild_id))
        async with self._db.session() as session:
            enabled: bool | None = await session.scalar(query)
        return enabled

    async def set(self, name: str, enabled: bool, guild_id: int | None = None) -> None:
        """Store the flag's value for the guild, or globally when ``guild_id`` is None."""
        now = utcnow()
        insert = dialect_insert(self._db.kind, FeatureFlag).values(
            name=name, guild_id=guild_id, enabled=enabled, updated_at=now
        )
        if guild_id is None:
            upsert = insert.on_conflict_do_update(
                index_elements=[FeatureFlag.name],
                index_where=FeatureFlag.guild_id.is_(None),
                set_={"enabled": enabled, "updated_at": now},
            )
        else:
            upsert = insert.on_conflict_do_update(
                index_elements=[FeatureFlag.name, FeatureFlag.guild_id],
                set_={"enabled": enabled, "updated_at": now},
            )
        async with self._db.transaction() as session:
            await session.execute(upsert)

    async def clear(self, name: str, guild_id: int | None) -> bool:
        """Delete the row so the next level decides; return whether there was one."""
        async with self._db.transaction() as session:
            result = await session.execute(
                delete(FeatureFlag).where(FeatureFlag.name == name, _guild_clause(guild_id))
            )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def effective(self, guild_id: int | None = None) -> dict[str, bool]:
        """Return every known flag's effective value for the guild (or globally)."""
        async with self._db.session() as session:
            rows = (
                await session.execute(
                    select(FeatureFlag.name, FeatureFlag.guild_id, FeatureFlag.enabled).where(
                        FeatureFlag.guild_id.is_(None) | (FeatureFlag.guild_id == guild_id)
                    )
                )
            ).all()
        global_values = {name: enabled for name, gid, enabled in rows if gid is None}
        guild_values = {name: enabled for name, gid, enabled in rows if gid is not None}
        names = sorted(DEFAULT_FLAGS.keys() | global_values.keys() | guild_values.keys())
        return {
            name: resolve_flag(name, guild_values.get(name), global_values.get(name))
            for name in names
        }

    async def seed_defaults(self) -> int:
        """Insert a global row for each default flag that has none; return how many.

        Idempotent, and never overwrites a value an operator changed.
        """
        now = utcnow()
        rows = [
            {"name": name, "guild_id": None, "enabled": enabled, "updated_at": now}
            for name, enabled in DEFAULT_FLAGS.items()
        ]
        insert = dialect_insert(self._db.kind, FeatureFlag).values(rows)
        async with self._db.transaction() as session:
            result = await session.execute(insert.on_conflict_do_nothing())
        return int(result.rowcount)  # type: ignore[attr-defined]


def _guild_clause(guild_id: int | None) -> ColumnElement[bool]:
    if guild_id is None:
        return FeatureFlag.guild_id.is_(None)
    return FeatureFlag.guild_id == guild_id
