"""The engine wrapper: SQLite setup, health check, snowflakes, timestamps, hidden passwords."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError

from bot.db.database import Database, normalize_url
from bot.db.errors import DatabaseNotConnectedError
from bot.db.guild_settings import GuildSettingsStore
from bot.db.metrics import PersistenceMetrics
from bot.db.models import GuildConfig, Queue, QueueItem, UserProfile
from tests.db.conftest import SNOWFLAKE

MAX_SNOWFLAKE = 2**63 - 1


def test_urls_without_a_driver_get_the_async_one() -> None:
    """Plain postgres/postgresql/sqlite URLs are switched to asyncpg/aiosqlite."""
    assert normalize_url("postgres://u:p@h/db").drivername == "postgresql+asyncpg"
    assert normalize_url("postgresql://u:p@h/db").drivername == "postgresql+asyncpg"
    assert normalize_url("sqlite:///x.db").drivername == "sqlite+aiosqlite"
    assert Database("sqlite:///x.db").kind == "sqlite"
    assert Database("postgresql+asyncpg://h/db").kind == "postgresql"


async def test_sqlite_connect_creates_the_directory_and_sets_pragmas(
    sqlite_url: str, metrics: PersistenceMetrics
) -> None:
    """connect() makes the data directory, turns on WAL and foreign keys."""
    db_file = Path(make_url(sqlite_url).database or "")
    assert not await asyncio.to_thread(db_file.parent.exists)
    database = Database(sqlite_url, metrics=metrics)
    await database.connect()
    try:
        assert await asyncio.to_thread(db_file.exists)
        async with database.engine.connect() as connection:
            assert (await connection.scalar(text("PRAGMA journal_mode"))) == "wal"
            assert (await connection.scalar(text("PRAGMA foreign_keys"))) == 1
    finally:
        await database.close()


async def test_ping_answers_true_while_connected_and_false_after_close(database: Database) -> None:
    """ping() reports reachability instead of raising."""
    assert await database.ping() is True
    await database.close()
    assert await database.ping() is False


async def test_session_before_connect_is_a_clear_error(metrics: PersistenceMetrics) -> None:
    """Using a Database that was never connected says so."""
    with pytest.raises(DatabaseNotConnectedError):
        async with Database("sqlite+aiosqlite:///unused.db", metrics=metrics).session():
            pass


async def test_snowflakes_survive_a_round_trip(database: Database) -> None:
    """64-bit Discord ids come back unchanged in keys and plain columns."""
    store = GuildSettingsStore(database)
    await store.update(SNOWFLAKE, dj_role_id=MAX_SNOWFLAKE, announce_channel_id=SNOWFLAKE + 1)
    async with database.transaction() as session:
        session.add(Queue(guild_id=SNOWFLAKE, voice_channel_id=MAX_SNOWFLAKE))
    async with database.session() as session:
        config = await session.get(GuildConfig, SNOWFLAKE)
        queue = await session.get(Queue, SNOWFLAKE)
    assert config is not None and queue is not None
    assert (config.guild_id, config.dj_role_id) == (SNOWFLAKE, MAX_SNOWFLAKE)
    assert config.announce_channel_id == SNOWFLAKE + 1
    assert queue.voice_channel_id == MAX_SNOWFLAKE


async def test_timestamps_come_back_aware_in_utc(database: Database) -> None:
    """A timestamp written in any zone reads back as the same instant in UTC."""
    written = datetime(2024, 5, 1, 12, 30, 15, 123456, tzinfo=timezone(timedelta(hours=2)))
    async with database.transaction() as session:
        session.add(Queue(guild_id=1, updated_at=written))
    async with database.session() as session:
        queue = await session.get(Queue, 1)
    assert queue is not None
    assert queue.updated_at == written
    assert queue.updated_at.tzinfo is UTC


async def test_naive_timestamps_are_rejected(sqlite_db: Database) -> None:
    """A naive datetime is a bug at the call site, not something to guess about."""
    with pytest.raises(Exception, match="aware datetime"):
        async with sqlite_db.transaction() as session:
            session.add(Queue(guild_id=1, updated_at=datetime(2024, 1, 1)))


async def test_password_never_appears_in_logs_or_repr(
    postgres_url: str,
    metrics: PersistenceMetrics,
    log_lines: list[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Connecting, migrating, pinging and closing log the URL with the password masked."""
    secret = "hunter2-very-secret"
    url = make_url(postgres_url).set(password=secret).render_as_string(hide_password=False)
    database = Database(url, metrics=metrics)
    caplog.set_level(logging.DEBUG)
    await database.connect()
    await database.upgrade()
    assert await database.ping()
    await database.close()
    assert secret not in repr(database)
    assert secret not in database.safe_url
    assert any("***" in line for line in log_lines)
    assert not [line for line in log_lines if secret in line]
    assert secret not in caplog.text


async def test_unreachable_server_fails_fast_without_the_password(
    metrics: PersistenceMetrics, log_lines: list[str]
) -> None:
    """connect() to a closed port raises quickly, and nothing logged holds the password."""
    database = Database(
        "postgresql://bot:hunter2-very-secret@127.0.0.1:1/bot", connect_timeout=2, metrics=metrics
    )
    with pytest.raises(OSError):
        await database.connect()
    assert await database.ping() is False
    assert not [line for line in log_lines if "hunter2" in line]


async def test_foreign_keys_are_enforced_after_an_upgrade(sqlite_db: Database) -> None:
    """The upgrade turns SQLite foreign keys off for batch moves, and back on after."""
    await sqlite_db.upgrade()
    with pytest.raises(IntegrityError):
        async with sqlite_db.transaction() as session:
            session.add(
                QueueItem(
                    guild_id=404,
                    position=0,
                    encoded="x",
                    title="t",
                    author="a",
                    length_ms=1,
                    requester_id=1,
                )
            )


async def test_errors_do_not_carry_statement_parameters(database: Database) -> None:
    """A failed statement's message shows the SQL but hides the values bound to it."""
    secret = "s3cret-value-in-a-row"
    async with database.transaction() as session:
        session.add(UserProfile(user_id=1, preferences={"token": secret}))
    with pytest.raises(IntegrityError) as raised:
        async with database.transaction() as session:
            session.add(UserProfile(user_id=1, preferences={"token": secret}))
    assert "user_profiles" in str(raised.value)
    assert secret not in str(raised.value)
