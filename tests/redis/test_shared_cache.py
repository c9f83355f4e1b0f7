"""The shared Redis layer of the settings cache: two processes, one database, one Redis."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import pytest
from prometheus_client import CollectorRegistry

from bot.db.cache import FEATURE_FLAGS, GUILD_SETTINGS, FlagCache, GuildSettingsCache
from bot.db.database import Database
from bot.db.flags import FlagStore
from bot.db.guild_settings import GuildSettings, GuildSettingsStore
from bot.db.metrics import PersistenceMetrics
from bot.db.shared_cache import SharedCache
from tests.db.conftest import (  # noqa: F401  (fixtures)
    SNOWFLAKE,
    database,
    database_url,
    metrics,
    postgres_url,
    sample,
    sqlite_url,
)
from tests.fakes.tcp_proxy import TcpProxy
from tests.redis.conftest import REDIS_PORT, REDIS_URL, proxy_url
from tests.redis.test_bus_redis import eventually

OTHER_GUILD = SNOWFLAKE + 1


@dataclass
class Process:
    """What one bot process holds: its database connection, Redis layer and caches."""

    db: Database
    shared: SharedCache
    settings: GuildSettingsCache
    flags: FlagCache
    metrics: PersistenceMetrics
    received: dict[str, asyncio.Queue[str]] = field(default_factory=dict)

    async def invalidation(self, cache: str = GUILD_SETTINGS) -> str:
        """The next key of `cache` another process invalidated (after the cache dropped it)."""
        async with asyncio.timeout(5):
            return await self.received[cache].get()

    def shared_count(self, result: str, cache: str = GUILD_SETTINGS) -> float:
        return sample(self.metrics, "cache_shared_total", cache=cache, result=result)


ProcessFactory = Callable[..., Awaitable[Process]]


@pytest.fixture
async def start_process(
    database: Database,  # noqa: F811  (migrates the shared database first)
    database_url: str,  # noqa: F811
    prefix: str,
) -> AsyncIterator[ProcessFactory]:
    """Start "processes" on the test's database and Redis prefix."""
    started: list[Process] = []

    async def start(
        url: str = REDIS_URL, defaults: Callable[[int], GuildSettings] | None = None
    ) -> Process:
        registry = PersistenceMetrics(CollectorRegistry())
        db = Database(database_url, metrics=registry)
        await db.connect()
        shared = SharedCache(
            url=url, prefix=prefix, ttl=60, connect_timeout=0.3, heartbeat=0.2, metrics=registry
        )
        process = Process(
            db=db,
            shared=shared,
            settings=GuildSettingsCache(
                GuildSettingsStore(db, defaults), metrics=registry, shared=shared
            ),
            flags=FlagCache(FlagStore(db), metrics=registry, shared=shared),
            metrics=registry,
        )
        for cache in (GUILD_SETTINGS, FEATURE_FLAGS):
            queue: asyncio.Queue[str] = asyncio.Queue()
            process.received[cache] = queue
            shared.register(cache, drop=queue.put_nowait, drop_all=lambda: None)
        started.append(process)
        await shared.start()
        return process

    yield start
    for process in started:
        await process.shared.close()
        await process.db.close()


async def test_a_setting_changed_through_one_process_is_seen_by_the_other(
    start_process: ProcessFactory,
) -> None:
    """B cached the old volume; A's change reaches B's memory by pub/sub, the value by Redis."""
    a, b = await start_process(), await start_process()
    assert (await b.settings.get(SNOWFLAKE)).default_volume == 100

    await a.settings.update(SNOWFLAKE, default_volume=42)
    assert await b.invalidation() == str(SNOWFLAKE)

    assert (await b.settings.get(SNOWFLAKE)).default_volume == 42
    assert b.shared_count("hit") == 1  # read from Redis, not from the database
    assert sample(a.metrics, "cache_invalidations_total", cache=GUILD_SETTINGS, status="sent") == 1


async def test_a_reset_shows_each_process_its_own_defaults(start_process: ProcessFactory) -> None:
    """Redis holds the stored row, not the defaults: after a reset each process uses its own."""
    a = await start_process()
    b = await start_process(defaults=lambda guild_id: GuildSettings(guild_id, default_volume=70))
    await a.settings.update(SNOWFLAKE, default_volume=42)
    await b.invalidation()
    assert (await b.settings.get(SNOWFLAKE)).default_volume == 42

    await a.settings.reset(SNOWFLAKE)
    await b.invalidation()

    assert (await b.settings.get(SNOWFLAKE)).default_volume == 70
    assert (await a.settings.get(SNOWFLAKE)).default_volume == 100


async def test_a_feature_flag_changed_through_one_process_is_seen_by_the_other(
    start_process: ProcessFactory,
) -> None:
    """Flags share the layer: a guild override set through A is in force on B."""
    a, b = await start_process(), await start_process()
    assert await b.flags.is_enabled("autoplay", SNOWFLAKE)

    await a.flags.set("autoplay", False, SNOWFLAKE)
    assert await b.invalidation(FEATURE_FLAGS) == f"autoplay:{SNOWFLAKE}"

    assert not await b.flags.is_enabled("autoplay", SNOWFLAKE)


async def test_a_second_process_reads_redis_not_the_database(start_process: ProcessFactory) -> None:
    """What one process loaded, the next finds in Redis."""
    a, b = await start_process(), await start_process()
    await a.settings.get(SNOWFLAKE)
    assert (a.shared_count("miss"), a.shared_count("hit")) == (1, 0)

    await b.settings.get(SNOWFLAKE)
    assert (b.shared_count("miss"), b.shared_count("hit")) == (0, 1)


async def test_a_load_never_overwrites_a_newer_write(start_process: ProcessFactory) -> None:
    """A reader that read the old row before a write cannot put it back into Redis."""
    a, b = await start_process(), await start_process()
    written = asyncio.Event()

    async def read_old_then_let_a_write() -> GuildSettings | None:
        old = await GuildSettingsStore(b.db).get_stored(SNOWFLAKE)
        await a.settings.update(SNOWFLAKE, default_volume=55)
        written.set()
        return old

    stale = await b.shared.load(GUILD_SETTINGS, str(SNOWFLAKE), read_old_then_let_a_write)
    assert stale is None and written.is_set()

    c = await start_process()
    assert (await c.settings.get(SNOWFLAKE)).default_volume == 55


async def test_without_redis_reads_come_from_the_database(
    start_process: ProcessFactory,
) -> None:
    """Redis cut: B reads and writes through the database, no error; its write reaches A later."""
    async with TcpProxy(REDIS_PORT) as proxy:
        a = await start_process()
        b = await start_process(url=proxy_url(proxy.port))
        await a.settings.update(OTHER_GUILD, default_volume=30)

        await proxy.cut()
        await eventually(lambda: not b.shared.connected, timeout=3)
        assert (await b.settings.get(OTHER_GUILD)).default_volume == 30
        assert b.shared_count("unavailable") == 1
        assert (await a.settings.get(SNOWFLAKE)).default_volume == 100
        changed = await b.settings.update(SNOWFLAKE, default_volume=80)
        assert changed.default_volume == 80
        failed = {"cache": GUILD_SETTINGS, "status": "failed"}
        assert sample(b.metrics, "cache_invalidations_total", **failed) == 1

        await proxy.restore()
        # Once back, B invalidates what it wrote meanwhile, in Redis and in A's memory.
        assert await a.invalidation() == str(SNOWFLAKE)
        assert (await a.settings.get(SNOWFLAKE)).default_volume == 80


async def test_a_silent_redis_does_not_hold_reads(start_process: ProcessFactory) -> None:
    """Redis that accepts connections and never answers: noticed, then reads skip it."""
    async with TcpProxy(REDIS_PORT) as proxy:
        b = await start_process(url=proxy_url(proxy.port))
        await proxy.cut(hold=True)
        await eventually(lambda: not b.shared.connected, timeout=3)
        async with asyncio.timeout(1):
            assert (await b.settings.get(SNOWFLAKE)).default_volume == 100
        await proxy.restore()
        await asyncio.wait_for(b.shared.wait_connected(), 5)
