"""The async engine, its sessions, health check and schema upgrade."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from loguru import logger
from sqlalchemy import event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from bot.db import schema
from bot.db.circuit_breaker import CircuitBreaker
from bot.db.deferred_writes import DeferredWrites
from bot.db.errors import (
    DB_UNAVAILABLE_ERRORS,
    DatabaseNotConnectedError,
    SchemaOutdatedError,
    is_unreachable,
)
from bot.db.metrics import METRICS, PersistenceMetrics
from bot.db.query_monitor import QueryMonitor

__all__ = ["Database", "normalize_url"]

_ASYNC_DRIVERS = {
    "postgres": "postgresql+asyncpg",
    "postgresql": "postgresql+asyncpg",
    "sqlite": "sqlite+aiosqlite",
}

# Any constant shared by every process of the bot: "music-bo" in ASCII.
_MIGRATION_LOCK_KEY = 0x6D757369632D626F


def normalize_url(url: str | URL) -> URL:
    """Parse ``url`` and pick the async driver when the URL names none."""
    parsed = make_url(url)
    driver = _ASYNC_DRIVERS.get(parsed.drivername)
    return parsed.set(drivername=driver) if driver else parsed


class Database:
    """One async SQLAlchemy engine for SQLite (aiosqlite) or PostgreSQL (asyncpg).

    Sessions go through ``breaker``: while the server is unreachable they fail
    at once with ``DatabaseOutageError`` instead of waiting for a connect
    timeout. ``deferred`` keeps append-only writes made meanwhile and replays
    them, in order, when it answers again. ``connect_timeout`` bounds both a
    new connection and the wait for a free one in the pool.
    """

    def __init__(
        self,
        url: str | URL,
        *,
        slow_query_ms: float = 200,
        echo: bool = False,
        connect_timeout: float = 5.0,
        metrics: PersistenceMetrics = METRICS,
    ) -> None:
        self.url = normalize_url(url)
        self._echo = echo
        self._connect_timeout = connect_timeout
        self._monitor = QueryMonitor(metrics, slow_query_ms)
        self._engine: AsyncEngine | None = None
        self._sessions: async_sessionmaker[AsyncSession] | None = None
        self.breaker = CircuitBreaker(self.ping, metrics=metrics)
        self.deferred = DeferredWrites(self.breaker, metrics=metrics)

    def __repr__(self) -> str:
        return f"Database({self.safe_url!r})"

    @property
    def kind(self) -> str:
        """The backend: ``"sqlite"`` or ``"postgresql"``."""
        return self.url.get_backend_name()

    @property
    def safe_url(self) -> str:
        """The URL with its password masked, fit for logs and ``/info``."""
        return self.url.render_as_string(hide_password=True)

    @property
    def engine(self) -> AsyncEngine:
        """The engine; only after ``connect()``."""
        if self._engine is None:
            raise DatabaseNotConnectedError()
        return self._engine

    async def connect(self) -> None:
        """Create the engine and prove the database answers; idempotent."""
        if self._engine is not None:
            return
        # hide_parameters: errors and echo output must not carry user data or secrets.
        engine = create_async_engine(
            self.url, echo=self._echo, hide_parameters=True, **self._engine_options()
        )
        if self.kind == "sqlite":
            event.listen(engine.sync_engine, "connect", _configure_sqlite_connection)
        self._monitor.attach(engine.sync_engine)
        try:
            async with engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except BaseException:
            await engine.dispose()
            raise
        self._engine = engine
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)
        logger.info("Connected to {} database {}", self.kind, self.safe_url)

    async def close(self) -> None:
        """Write what was kept if possible, then dispose of the engine and its pool; idempotent."""
        if self._engine is None:
            return
        await self.deferred.close()
        await self.breaker.stop()
        engine, self._engine, self._sessions = self._engine, None, None
        await engine.dispose()
        logger.info("Closed {} database {}", self.kind, self.safe_url)

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session whose transaction the caller commits (``expire_on_commit=False``)."""
        factory = self._session_factory()
        self.breaker.check()
        try:
            async with factory() as session:
                yield session
        except Exception as exc:
            self._noticed(exc)
            raise

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session inside a transaction: committed on exit, rolled back on error."""
        factory = self._session_factory()
        self.breaker.check()
        try:
            async with factory.begin() as session:
                yield session
        except Exception as exc:
            self._noticed(exc)
            raise

    async def ping(self, timeout: float = 2.0) -> bool:
        """Return whether the database answers ``SELECT 1`` within ``timeout`` seconds.

        An answer during an outage ends it (see ``breaker``).
        """
        if self._engine is None:
            return False
        try:
            async with asyncio.timeout(timeout), self._engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except DB_UNAVAILABLE_ERRORS as exc:
            if not self.breaker.is_open:
                logger.warning("Database ping failed: {}", type(exc).__name__)
            return False
        self.breaker.reset()
        return True

    def _noticed(self, exc: Exception) -> None:
        if is_unreachable(exc) and self._engine is not None:
            self.breaker.trip(exc)

    async def upgrade(self) -> str | None:
        """Apply pending Alembic migrations; return the revision now in place."""
        before = await self.current_revision()
        async with self.engine.connect() as connection:
            if self.kind == "sqlite":
                await _upgrade_sqlite(connection)
            else:
                async with connection.begin():
                    # Shard processes sharing one PostgreSQL start together: one migrates.
                    await connection.execute(
                        text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK_KEY}
                    )
                    await connection.run_sync(schema.upgrade_to_head)
        after = await self.current_revision()
        if after != before:
            logger.info("Database schema upgraded from {} to {}", before or "nothing", after)
        return after

    async def current_revision(self) -> str | None:
        """Return the Alembic revision of the database, None if never migrated."""
        async with self.engine.connect() as connection:
            return await connection.run_sync(schema.read_current_revision)

    async def head_revision(self) -> str | None:
        """Return the newest revision the code ships."""
        return await asyncio.to_thread(schema.head_revision)

    async def ensure_schema(self, *, auto_upgrade: bool) -> str | None:
        """Upgrade when allowed, else fail with ``SchemaOutdatedError`` if behind."""
        if auto_upgrade:
            return await self.upgrade()
        current, head = await self.current_revision(), await self.head_revision()
        if current != head:
            raise SchemaOutdatedError(current, head)
        return current

    def _session_factory(self) -> async_sessionmaker[AsyncSession]:
        if self._sessions is None:
            raise DatabaseNotConnectedError()
        return self._sessions

    def _engine_options(self) -> dict[str, Any]:
        if self.kind == "sqlite":
            _create_sqlite_directory(self.url)
            return {}
        if self.kind == "postgresql":
            # Pre-ping replaces connections a restart or a network cut killed while
            # pooled; the timeouts keep a dead server from holding callers for long.
            return {
                "pool_pre_ping": True,
                "pool_timeout": self._connect_timeout,
                "connect_args": {"timeout": self._connect_timeout},
            }
        return {}


async def _upgrade_sqlite(connection: AsyncConnection) -> None:
    # Batch migrations rebuild a table by copy, drop and rename; with foreign
    # keys on, the drop would cascade-delete every child row. The pragma only
    # changes outside a transaction, hence the commits around it.
    await connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
    await connection.commit()
    try:
        async with connection.begin():
            await connection.run_sync(schema.upgrade_to_head)
            broken = (await connection.exec_driver_sql("PRAGMA foreign_key_check")).all()
            if broken:
                raise RuntimeError(f"Migration left {len(broken)} broken foreign key(s)")
    finally:
        await connection.exec_driver_sql("PRAGMA foreign_keys=ON")
        await connection.commit()


def _create_sqlite_directory(url: URL) -> None:
    database = url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)


def _configure_sqlite_connection(dbapi_connection: Any, connection_record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=5000")
    finally:
        cursor.close()
