"""Caches: read-through, write-through, TTL, LRU bound, counters, stale on failure."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.exc import OperationalError

from bot.db.cache import FlagCache, GuildSettingsCache
from bot.db.database import Database
from bot.db.errors import DatabaseUnavailableError
from bot.db.flags import FlagStore
from bot.db.guild_settings import GuildSettings, GuildSettingsStore
from bot.db.metrics import PersistenceMetrics
from bot.db.read_through_cache import ReadThroughCache
from tests.db.conftest import SNOWFLAKE, sample


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class CountingStore(GuildSettingsStore):
    """The real store, counting reads and able to fail like a dead database."""

    def __init__(self, database: Database) -> None:
        super().__init__(database)
        self.reads = 0
        self.down = False

    async def get_stored(self, guild_id: int) -> GuildSettings | None:
        self.reads += 1
        if self.down:
            raise OperationalError("SELECT", {}, ConnectionRefusedError("database is down"))
        return await super().get_stored(guild_id)


def _counts(metrics: PersistenceMetrics, cache: str = "guild_settings") -> tuple[float, ...]:
    return tuple(
        sample(metrics, f"cache_{kind}_total", cache=cache)
        for kind in ("hits", "misses", "evictions", "stale_served")
    )


@pytest.fixture
def statements(database: Database) -> Iterator[list[str]]:
    """Every SQL statement ``database`` sends during the test."""
    sent: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        sent.append(statement)

    engine = database.engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    yield sent
    event.remove(engine, "before_cursor_execute", record)


@pytest.fixture
def clock() -> FakeClock:
    """A clock starting at 0."""
    return FakeClock()


@pytest.fixture
def store(sqlite_db: Database) -> CountingStore:
    """The settings store on a migrated SQLite file."""
    return CountingStore(sqlite_db)


@pytest.fixture
def cache(
    store: CountingStore, metrics: PersistenceMetrics, clock: FakeClock
) -> GuildSettingsCache:
    """A 60 s, three-guild cache on the fake clock."""
    return GuildSettingsCache(store, ttl=60, max_size=3, metrics=metrics, timer=clock)


async def test_first_read_misses_and_loads_then_hits(
    cache: GuildSettingsCache, store: CountingStore, metrics: PersistenceMetrics
) -> None:
    """One database read, then answers from memory; counters say so."""
    first = await cache.get(SNOWFLAKE)
    assert await cache.get(SNOWFLAKE) == first
    assert await cache.get(SNOWFLAKE) == first
    assert store.reads == 1
    assert _counts(metrics) == (2, 1, 0, 0)


async def test_repeated_reads_send_no_sql_and_writes_show_at_once(
    database: Database, statements: list[str], metrics: PersistenceMetrics
) -> None:
    """Counted at the engine: one SELECT, then hits send nothing, even after a write."""
    cache = GuildSettingsCache(GuildSettingsStore(database), metrics=metrics)
    await cache.get(SNOWFLAKE)
    assert [s.split()[0] for s in statements] == ["SELECT"]
    statements.clear()
    for _ in range(50):
        await cache.get(SNOWFLAKE)
    assert statements == []
    await cache.update(SNOWFLAKE, default_volume=42)
    assert statements  # the write went to the database
    statements.clear()
    assert (await cache.get(SNOWFLAKE)).default_volume == 42
    assert statements == []


async def test_a_write_is_visible_to_the_next_read_without_a_reload(
    cache: GuildSettingsCache, store: CountingStore
) -> None:
    """Write-through: the update reaches the database and the cache, so no stale read."""
    assert (await cache.get(SNOWFLAKE)).default_volume == 100
    await cache.update(SNOWFLAKE, default_volume=42)
    assert (await cache.get(SNOWFLAKE)).default_volume == 42
    assert (await store.get(SNOWFLAKE)).default_volume == 42
    assert store.reads == 2  # the cache's first load, then the direct check above


async def test_a_load_racing_a_write_does_not_overwrite_it(metrics: PersistenceMetrics) -> None:
    """A read that started before a write finishes after it: the written value stays."""
    release = asyncio.Event()

    async def slow_loader(key: int) -> str:
        await release.wait()
        return "old"

    cache: ReadThroughCache[int, str] = ReadThroughCache(
        "race", slow_loader, ttl=60, max_size=10, metrics=metrics
    )
    reader = asyncio.create_task(cache.get(1))
    await asyncio.sleep(0)
    cache.put(1, "new")
    release.set()
    assert await reader == "old"  # it asked before the write
    assert await cache.get(1) == "new"


async def test_concurrent_misses_share_one_load(metrics: PersistenceMetrics) -> None:
    """Twenty callers missing at once cause a single backend read."""
    calls = 0

    async def loader(key: int) -> int:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.01)
        return key * 2

    cache: ReadThroughCache[int, int] = ReadThroughCache(
        "shared", loader, ttl=60, max_size=10, metrics=metrics
    )
    assert await asyncio.gather(*(cache.get(21) for _ in range(20))) == [42] * 20
    assert calls == 1


async def test_entries_expire_after_the_ttl(
    cache: GuildSettingsCache, store: CountingStore, clock: FakeClock, sqlite_db: Database
) -> None:
    """Past the TTL the cache reloads and sees a change made behind its back."""
    await cache.get(SNOWFLAKE)
    await GuildSettingsStore(sqlite_db).update(SNOWFLAKE, language="de")
    clock.now = 59
    assert (await cache.get(SNOWFLAKE)).language == "auto"
    clock.now = 61
    assert (await cache.get(SNOWFLAKE)).language == "de"
    assert store.reads == 2


async def test_size_is_bounded_and_the_least_recently_used_goes_first(
    cache: GuildSettingsCache, store: CountingStore, metrics: PersistenceMetrics
) -> None:
    """With room for three, a fourth guild evicts the one read longest ago."""
    for guild_id in (1, 2, 3):
        await cache.get(guild_id)
    await cache.get(1)  # 2 is now the least recently used
    await cache.get(4)
    assert _counts(metrics)[2] == 1
    reads = store.reads
    await cache.get(1)
    await cache.get(3)
    assert store.reads == reads
    await cache.get(2)
    assert store.reads == reads + 1


async def test_database_down_serves_the_last_known_value(
    cache: GuildSettingsCache,
    store: CountingStore,
    clock: FakeClock,
    metrics: PersistenceMetrics,
    log_lines: list[str],
) -> None:
    """An expired entry whose reload fails is answered stale, with a warning, not an error."""
    await cache.update(SNOWFLAKE, default_volume=70)
    clock.now = 1_000
    store.down = True
    assert (await cache.get(SNOWFLAKE)).default_volume == 70
    assert _counts(metrics)[3] == 1
    assert any("serving the last known value" in line for line in log_lines)
    store.down = False
    assert (await cache.get(SNOWFLAKE)).default_volume == 70


async def test_database_down_with_nothing_known_is_a_readable_error(
    cache: GuildSettingsCache, store: CountingStore
) -> None:
    """Never-seen settings cannot be invented: the error says storage is unavailable."""
    store.down = True
    with pytest.raises(DatabaseUnavailableError, match="unavailable"):
        await cache.get(SNOWFLAKE)


async def test_flag_guild_override_beats_global_and_writes_show_at_once(
    sqlite_db: Database, metrics: PersistenceMetrics
) -> None:
    """Global value, guild override, clearing the override: each visible on the next read."""
    flags = FlagCache(FlagStore(sqlite_db), ttl=60, max_size=100, metrics=metrics)
    assert await flags.is_enabled("autoplay", SNOWFLAKE) is True  # code default
    await flags.set("autoplay", False)
    assert await flags.is_enabled("autoplay", SNOWFLAKE) is False
    await flags.set("autoplay", True, SNOWFLAKE)
    assert await flags.is_enabled("autoplay", SNOWFLAKE) is True
    assert await flags.is_enabled("autoplay") is False
    await flags.clear("autoplay", SNOWFLAKE)
    assert await flags.is_enabled("autoplay", SNOWFLAKE) is False
    assert await FlagStore(sqlite_db).get("autoplay", SNOWFLAKE) is False
    assert sample(metrics, "cache_hits_total", cache="feature_flags") > 0


async def test_flags_fall_back_to_code_defaults_when_the_database_is_gone(
    sqlite_db: Database, metrics: PersistenceMetrics
) -> None:
    """With no database and nothing cached, a flag has its default value."""
    flags = FlagCache(FlagStore(sqlite_db), ttl=60, max_size=100, metrics=metrics)
    await sqlite_db.close()
    assert await flags.is_enabled("sponsorblock", SNOWFLAKE) is True
    assert await flags.is_enabled("lyrics") is False
