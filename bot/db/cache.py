"""Caches of guild settings and feature flags in front of the database.

Each is memory (TTL and LRU) in front of the database; with a `SharedCache`
(the Redis bus), Redis sits between the two and a write made through one
process reaches the memory of every other (see `bot.db.shared_cache`).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

from bot.db.flags import FlagStore, resolve_flag
from bot.db.guild_settings import GuildSettings, GuildSettingsStore
from bot.db.metrics import METRICS, PersistenceMetrics
from bot.db.read_through_cache import ReadThroughCache

if TYPE_CHECKING:
    # Imported by its user (bot.app): it needs bot.bus_codec, which needs bot.db.
    from bot.db.shared_cache import SharedCache

__all__ = ["FlagCache", "GuildSettingsCache"]

T = TypeVar("T")
GUILD_SETTINGS = "guild_settings"
FEATURE_FLAGS = "feature_flags"
GLOBAL = "*"


async def _through(
    shared: SharedCache | None, cache: str, key: str, loader: Callable[[], Awaitable[T]]
) -> T:
    """Load through the shared layer when there is one."""
    if shared is None:
        return await loader()
    return await shared.load(cache, key, loader)


class GuildSettingsCache:
    """Read-through, write-through cache of ``GuildSettings`` per guild.

    While the database is down a guild gets its last known settings, even
    expired ones, without waiting more than ``load_timeout`` for the database.
    The shared layer holds the stored row (None: the guild has none), so each
    process applies its own configured defaults.
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
        shared: SharedCache | None = None,
    ) -> None:
        self._store = store
        self._shared = shared
        self._cache: ReadThroughCache[int, GuildSettings] = ReadThroughCache(
            GUILD_SETTINGS,
            self._load,
            ttl=ttl,
            max_size=max_size,
            load_timeout=load_timeout,
            metrics=metrics,
            timer=timer,
        )
        if shared is not None:
            shared.register(
                GUILD_SETTINGS,
                drop=lambda key: self._cache.invalidate(int(key)),
                drop_all=self._cache.clear,
            )

    async def get(self, guild_id: int) -> GuildSettings:
        """Return the guild's settings (the last known ones if the database is down)."""
        return await self._cache.get(guild_id)

    async def update(self, guild_id: int, **changes: Any) -> GuildSettings:
        """Validate and store a partial update, then cache the result."""
        settings = await self._store.update(guild_id, **changes)
        self._cache.put(guild_id, settings)
        await self._share(guild_id, settings)
        return settings

    async def reset(self, guild_id: int) -> GuildSettings:
        """Restore the defaults for the guild, then cache them."""
        settings = await self._store.reset(guild_id)
        self._cache.put(guild_id, settings)
        await self._share(guild_id, None)
        return settings

    def invalidate(self, guild_id: int) -> None:
        """Forget the cached settings, e.g. when the bot leaves the guild."""
        self._cache.invalidate(guild_id)

    async def _load(self, guild_id: int) -> GuildSettings:
        stored = await _through(
            self._shared, GUILD_SETTINGS, str(guild_id), lambda: self._store.get_stored(guild_id)
        )
        return stored if stored is not None else self._store.defaults(guild_id)

    async def _share(self, guild_id: int, stored: GuildSettings | None) -> None:
        if self._shared is not None:
            await self._shared.written(GUILD_SETTINGS, str(guild_id), stored)


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
        shared: SharedCache | None = None,
    ) -> None:
        self._store = store
        self._shared = shared
        self._cache: ReadThroughCache[tuple[str, int | None], bool | None] = ReadThroughCache(
            FEATURE_FLAGS,
            self._load,
            ttl=ttl,
            max_size=max_size,
            # No row known and no database: the code default decides.
            fallback=lambda key: None,
            load_timeout=load_timeout,
            metrics=metrics,
            timer=timer,
        )
        if shared is not None:
            shared.register(
                FEATURE_FLAGS,
                drop=lambda key: self._cache.invalidate(_flag_key(key)),
                drop_all=self._cache.clear,
            )

    async def is_enabled(self, name: str, guild_id: int | None = None) -> bool:
        """Return whether ``name`` is on for the guild: override, then global, then default."""
        guild_value = await self._cache.get((name, guild_id)) if guild_id is not None else None
        return resolve_flag(name, guild_value, await self._cache.get((name, None)))

    async def set(self, name: str, enabled: bool, guild_id: int | None = None) -> None:
        """Store the flag for the guild (or globally), then cache it."""
        await self._store.set(name, enabled, guild_id)
        self._cache.put((name, guild_id), enabled)
        await self._share(name, guild_id, enabled)

    async def clear(self, name: str, guild_id: int | None) -> None:
        """Delete the stored value at that level, then cache its absence."""
        await self._store.clear(name, guild_id)
        self._cache.put((name, guild_id), None)
        await self._share(name, guild_id, None)

    async def _load(self, key: tuple[str, int | None]) -> bool | None:
        name, guild_id = key
        return await _through(
            self._shared,
            FEATURE_FLAGS,
            _flag_text(name, guild_id),
            lambda: self._store.get_stored(name, guild_id),
        )

    async def _share(self, name: str, guild_id: int | None, value: bool | None) -> None:
        if self._shared is not None:
            await self._shared.written(FEATURE_FLAGS, _flag_text(name, guild_id), value)


def _flag_text(name: str, guild_id: int | None) -> str:
    """A flag row's key in the shared layer: `name:guild_id`, or `name:*` for the global row."""
    return f"{name}:{GLOBAL if guild_id is None else guild_id}"


def _flag_key(text: str) -> tuple[str, int | None]:
    name, _, guild = text.rpartition(":")
    return name, None if guild == GLOBAL else int(guild)
