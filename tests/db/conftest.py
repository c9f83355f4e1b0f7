"""Fixtures: real SQLite files under tmp_path and a throwaway PostgreSQL database per session.

PostgreSQL comes from ``BOT_TEST_POSTGRES_URL`` (default: the local server,
user postgres, trust auth). Each test session creates ``bot_test_<random>``
and drops it at the end; tests needing an empty database get their own.
An unreachable server fails the PostgreSQL tests (CI must not pass without
them); ``TEST_SKIP_POSTGRES=1`` skips them on purpose. That variable does
not start with ``BOT_``: the top-level conftest clears those for every test.
"""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import AsyncIterator, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import pytest
from loguru import logger
from prometheus_client import CollectorRegistry
from sqlalchemy import text
from sqlalchemy.engine import make_url

from bot.db.database import Database
from bot.db.metrics import PersistenceMetrics
from bot.db.models import Base

POSTGRES_URL = os.environ.get(
    "BOT_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
)
SKIP_POSTGRES_VARIABLE = "TEST_SKIP_POSTGRES"
START_POSTGRES_COMMAND = "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start"
SNOWFLAKE = 1234567890123456789
T = TypeVar("T")


async def _admin(statement: str) -> None:
    url = make_url(POSTGRES_URL)
    connection = await asyncpg.connect(
        host=url.host,
        port=url.port,
        user=url.username,
        password=url.password,
        database=url.database or "postgres",
        timeout=3,
    )
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


async def create_postgres_database() -> str:
    """Create an empty database and return its URL."""
    name = f"bot_test_{secrets.token_hex(6)}"
    await _admin(f'CREATE DATABASE "{name}"')
    return make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)


async def drop_postgres_database(url: str) -> None:
    """Drop a database made by ``create_postgres_database``."""
    await _admin(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')


def _run_in_own_loop(coroutine: Coroutine[Any, Any, T]) -> T:
    # A thread of its own: safe even when requested from inside a running loop.
    with ThreadPoolExecutor(max_workers=1) as executor:
        return executor.submit(asyncio.run, coroutine).result()


def open_session_database() -> str:
    """Create the session's database; skip if asked to, else fail saying how to fix it."""
    if os.environ.get(SKIP_POSTGRES_VARIABLE, "") not in ("", "0"):
        pytest.skip(f"PostgreSQL tests skipped: {SKIP_POSTGRES_VARIABLE} is set")
    try:
        return _run_in_own_loop(create_postgres_database())
    except (TimeoutError, OSError, asyncpg.PostgresError) as exc:
        error = exc
    # Outside the except block, so the report is this message, not a chained traceback.
    shown = make_url(POSTGRES_URL).render_as_string(hide_password=True)
    pytest.fail(
        f"PostgreSQL is not reachable at {shown} ({error!r}).\n"
        f"Start the local server with `{START_POSTGRES_COMMAND}`, "
        "point BOT_TEST_POSTGRES_URL at another one, "
        f"or set {SKIP_POSTGRES_VARIABLE}=1 to skip the PostgreSQL tests.",
        pytrace=False,
    )


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """The session's PostgreSQL database (migrated by the first test that uses it)."""
    url = open_session_database()
    yield url
    _run_in_own_loop(drop_postgres_database(url))


@pytest.fixture
async def empty_postgres_url(postgres_url: str) -> AsyncIterator[str]:
    """A brand-new empty PostgreSQL database, dropped after the test."""
    url = await create_postgres_database()
    yield url
    await drop_postgres_database(url)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A SQLite file in a directory that does not exist yet."""
    return f"sqlite+aiosqlite:///{tmp_path / 'data' / 'bot.db'}"


@pytest.fixture
def metrics() -> PersistenceMetrics:
    """Metrics in a private registry, so counts start at zero."""
    return PersistenceMetrics(CollectorRegistry())


@pytest.fixture
def log_lines() -> Iterator[list[str]]:
    """Every loguru message logged during the test, as ``LEVEL message``."""
    lines: list[str] = []
    sink_id = logger.add(lambda message: lines.append(str(message)), format="{level} {message}")
    yield lines
    logger.remove(sink_id)


def sample(metrics: PersistenceMetrics, name: str, **labels: str) -> float:
    """The current value of a metric sample, 0 if it was never touched."""
    return metrics.registry.get_sample_value(name, labels) or 0.0


async def _migrated(url: str, metrics: PersistenceMetrics) -> Database:
    database = Database(url, slow_query_ms=10_000, metrics=metrics)
    await database.connect()
    await database.upgrade()
    if database.kind == "postgresql":
        tables = ", ".join(table.name for table in Base.metadata.sorted_tables)
        async with database.transaction() as session:
            await session.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    return database


@pytest.fixture
async def sqlite_db(sqlite_url: str, metrics: PersistenceMetrics) -> AsyncIterator[Database]:
    """A migrated SQLite database."""
    database = await _migrated(sqlite_url, metrics)
    yield database
    await database.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, sqlite_url: str) -> str:
    """The URL of a SQLite file, then of the session's PostgreSQL database."""
    if request.param == "sqlite":
        return sqlite_url
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
async def database(database_url: str, metrics: PersistenceMetrics) -> AsyncIterator[Database]:
    """A migrated, empty database of each kind."""
    database = await _migrated(database_url, metrics)
    yield database
    await database.close()
