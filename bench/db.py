"""Benchmark: queue persistence and guild-settings reads on SQLite and PostgreSQL.

For each backend: the time to persist N guild queues of M tracks (one
``save_snapshot`` per guild, one after another, as the bot's saver does) and
to restore them all with ``load_all`` (what a restart does); then guild
settings reads per second, uncached (``GuildSettingsStore.get``) against
cache hits (``GuildSettingsCache.get``), and their ratio.

SQLite runs on a file in a temporary directory; PostgreSQL on a fresh database
created on ``BENCH_POSTGRES_URL`` (default: the local server, user postgres)
and dropped afterwards.
Run: `.venv/bin/python bench/db.py [--guilds 1000 --tracks 100 --reads 20000]`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
from loguru import logger
from prometheus_client import CollectorRegistry
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._results import record
from bot.db import (
    Database,
    GuildSettingsCache,
    GuildSettingsStore,
    PersistenceMetrics,
    QueueSnapshot,
    QueueStore,
    StoredTrack,
)

POSTGRES_URL = os.environ.get(
    "BENCH_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
)
FIRST_GUILD = 800_000_000_000_000_000
ADDED_AT = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)


def snapshots(guilds: int, tracks: int) -> list[QueueSnapshot]:
    """Realistic queues: ~300-byte encoded blobs, non-ASCII titles, 64-bit ids."""
    return [
        QueueSnapshot(
            guild_id=FIRST_GUILD + g,
            tracks=[
                StoredTrack(
                    encoded="QAAA" + secrets.token_urlsafe(220),
                    title=f"Sigur Rós – Hoppípolla 🎵 {t}",
                    author="Sigur Rós",
                    length_ms=268_000 + t,
                    requester_id=FIRST_GUILD + 10_000 + t,
                    uri=f"https://www.youtube.com/watch?v={g:05d}{t:06d}",
                    source="youtube",
                    added_at=ADDED_AT,
                    identifier=f"{g:05d}{t:06d}",
                    artwork_url=f"https://i.ytimg.com/vi/{g:05d}{t:06d}/hqdefault.jpg",
                )
                for t in range(tracks)
            ],
            current_index=1,
            position_ms=93_500,
            voice_channel_id=FIRST_GUILD + 20_000 + g,
            text_channel_id=FIRST_GUILD + 30_000 + g,
        )
        for g in range(guilds)
    ]


async def _admin(statement: str) -> None:
    url = make_url(POSTGRES_URL)
    connection = await asyncpg.connect(
        host=url.host,
        port=url.port,
        user=url.username,
        password=url.password,
        database=url.database or "postgres",
        timeout=5,
    )
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@asynccontextmanager
async def sqlite_url() -> AsyncIterator[str]:
    """A SQLite file in a temporary directory, removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="bench-db-") as directory:
        yield f"sqlite+aiosqlite:///{Path(directory) / 'bench.db'}"


@asynccontextmanager
async def postgres_url() -> AsyncIterator[str]:
    """A fresh PostgreSQL database, dropped afterwards."""
    name = f"bench_db_{secrets.token_hex(6)}"
    await _admin(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def bench_queues(database: Database, queues: list[QueueSnapshot]) -> tuple[float, float]:
    """Seconds to save every queue one by one, then to load them all back."""
    store = QueueStore(database)
    start = time.perf_counter()
    for snapshot in queues:
        await store.save_snapshot(snapshot)
    persisted = time.perf_counter() - start
    start = time.perf_counter()
    restored = await store.load_all()
    loaded = time.perf_counter() - start
    if restored != queues:
        raise AssertionError("load_all() did not return exactly what was saved")
    return persisted, loaded


async def bench_settings(database: Database, reads: int) -> tuple[float, float]:
    """Reads per second of 100 guilds' settings: straight from the store, then cache hits."""
    store = GuildSettingsStore(database)
    guild_ids = [FIRST_GUILD + g for g in range(100)]
    for guild_id in guild_ids[::2]:  # half customised, half on the defaults
        await store.update(guild_id, default_volume=80, autoplay_mode="similar")
    start = time.perf_counter()
    for i in range(reads):
        await store.get(guild_ids[i % len(guild_ids)])
    uncached = reads / (time.perf_counter() - start)
    cache = GuildSettingsCache(store, metrics=PersistenceMetrics(CollectorRegistry()))
    for guild_id in guild_ids:
        await cache.get(guild_id)
    start = time.perf_counter()
    for i in range(reads):
        await cache.get(guild_ids[i % len(guild_ids)])
    cached = reads / (time.perf_counter() - start)
    return uncached, cached


async def run_backend(label: str, url: str, queues: list[QueueSnapshot], reads: int) -> None:
    """Migrate, run both benchmarks on one backend and print its lines."""
    database = Database(url, slow_query_ms=60_000, metrics=PersistenceMetrics(CollectorRegistry()))
    await database.connect()
    try:
        await database.upgrade()
        persisted, loaded = await bench_queues(database, queues)
        uncached, cached = await bench_settings(database, reads)
    finally:
        await database.close()
    items = sum(len(q.tracks) for q in queues)
    print(label)
    print(
        f"  {'persist (save_snapshot x ' + str(len(queues)) + ')':<32}{persisted:10.2f} s"
        f"   {persisted / len(queues) * 1000:.2f} ms/guild"
    )
    print(f"  {'restore (load_all)':<32}{loaded:10.2f} s   {items / loaded:,.0f} tracks/s")
    print(f"  {'settings reads, uncached':<32}{uncached:10,.0f} /s")
    print(f"  {'settings reads, cache hit':<32}{cached:10,.0f} /s  x{cached / uncached:,.0f}")
    kind = label.split()[0]
    record(
        "db",
        f"{kind}: persist / restore {len(queues):,} queues of {items // len(queues)} tracks",
        f"{persisted:.2f} s / {loaded:.2f} s ({items / loaded:,.0f} tracks/s restored)",
    )
    record(
        "db",
        f"{kind}: settings reads, uncached vs memory cache hit",
        f"{uncached:,.0f} vs {cached:,.0f} /s",
    )


async def main() -> int:
    """Run SQLite, then PostgreSQL; exit 1 if PostgreSQL could not be reached."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--guilds", type=int, default=1000)
    parser.add_argument("--tracks", type=int, default=100)
    parser.add_argument("--reads", type=int, default=20_000)
    args = parser.parse_args()
    logger.remove()
    logger.add(sys.stderr, level="WARNING")
    queues = snapshots(args.guilds, args.tracks)
    print(f"{args.guilds} guilds x {args.tracks} tracks, {args.reads} settings reads per mode")
    async with sqlite_url() as url:
        await run_backend("SQLite (temp file, WAL)", url, queues, args.reads)
    try:
        async with postgres_url() as url:
            await run_backend("PostgreSQL (fresh temp database)", url, queues, args.reads)
    except (OSError, TimeoutError, asyncpg.PostgresError) as exc:
        shown = make_url(POSTGRES_URL).render_as_string(hide_password=True)
        print(f"PostgreSQL unreachable at {shown}: {exc!r}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
