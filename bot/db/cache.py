"""In-memory caches of guild settings and feature flags in front of the database."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from bot.db.flags import FlagStore, resolve_flag
from bot.db.guild_settings import GuildSettings, GuildSettingsStore
from bot.db.metrics import METRICS, PersistenceMetrics
from bot.db.read_through_cache import ReadThroughCache

__all__ = ["FlagCache", "GuildSettingsCache"]


class GuildSettingsCache:
    """Read-through, write-through cache of ``GuildSettings`` per guild.

    While the database is down a guild gets its last known settings, even
    expired ones, without waiting more than ``load_timeout`` for the database.
    """

    def __init__(
        self,
        store: GuildSettingsStore,
        *,
        ttl: float = 300.0,
        max_size: int = 10_000,
        load_timeout: float = 1.0,
        metrics: PersistenceMetrics = METRICS,
        timer: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self._cache: ReadThroughCache[int, GuildSettings] = ReadThroughCache(
            "guild_settings",
            store.get,
            ttl=ttl,
            max_size=max_size,
            load_timeout=load_timeout,
            metrics=metrics,
            timer=timer,
        )

    async def get(self, guild_id: int) -> GuildSettings:
        """Return the guild's settings (the last known ones if the database is down)."""
        return await self._cache.get(guild_id)

    async def update(self, guild_id: int, **changes: Any) -> GuildSettings:
        """Validate and store a partial update, then cache the result."""
        settings = await self._store.update(guild_id, **changes)
        self._cache.put(guild_id, settings)
        return settings

    async def reset(self, guild_id: int) -> GuildSettings:
        """Restore the defaults for the guild, then cache them."""
        settings = await self._store.reset(guild_id)
        self._cache.put(guild_id, settings)
        return settings

    def invalidate(self, guild_id: int) -> None:
        """Forget the cached settings, e.g. when the bot leaves the guild."""
        self._cache.invalidate(guild_id)


class FlagCache:
    """Read-through, write-through cache of feature flags.

    Caches each stored row (global or guild) separately, so writing one
    level never leaves another level's cached value stale.
    """

    def __init__(
        self,
        store: FlagStore,
        *,
        ttl: float = 60.0,
        max_size: int = 10_000,
        load_timeout: float = 1.0,
        metrics: PersistenceMetrics = METRICS,
        timer: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self._cache: ReadThroughCache[tuple[str, int | None], bool | None] = ReadThroughCache(
            "feature_flags",
            self._load,
            ttl=ttl,
            max_size=max_size,
            # No row known and no database: the code default decides.
            fallback=lambda key: None,
            load_timeout=load_timeout,
            metrics=metrics,
            timer=timer,
        )

    async def is_enabled(self, name: str, guild_id: int | None = None) -> bool:
        """Return whether ``name`` is on for the guild: override, then global, then default."""
        guild_value = await self._cache.get((name, guild_id)) if guild_id is not None else None
        return resolve_flag(name, guild_value, await self._cache.get((name, None)))

    async def set(self, name: str, enabled: bool, guild_id: int | None = None) -> None:
        """Store the flag for the guild (or globally), then cache it."""
        await self._store.set(name, enabled, guild_id)
        self._cache.put((name, guild_id), enabled)

    async def clear(self, name: str, guild_id: int | None) -> None:
        """Delete the stored value at that level, then cache its absence."""
        await self._store.clear(name, guild_id)
        self._cache.put((name, guild_id), None)

    async def _load(self, key: tuple[str, int | None]) -> bool | None:
        name, guild_id = key
        return await self._store.get_stored(name, guild_id)
