"""Alembic: upgrade from nothing, schema identical to the models, CLI entry points."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import MetaData, inspect, text
from sqlalchemy.engine import Connection

from bot.db import commands, schema
from bot.db.database import Database
from bot.db.errors import SchemaOutdatedError
from bot.db.metrics import PersistenceMetrics
from bot.db.models import Base

HEAD = "0006_guild_language_auto"


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request: pytest.FixtureRequest, sqlite_url: str) -> str:
    """An empty database of each kind."""
    if request.param == "sqlite":
        return sqlite_url
    url: str = request.getfixturevalue("empty_postgres_url")
    return url


def _schema_diff(connection: Connection, metadata: MetaData) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, metadata))


async def test_upgrade_builds_every_table_from_nothing(
    empty_url: str, metrics: PersistenceMetrics
) -> None:
    """A fresh database goes from no revision to head and has all model tables."""
    database = Database(empty_url, metrics=metrics)
    await database.connect()
    try:
        assert await database.current_revision() is None
        assert await database.upgrade() == HEAD
        assert await database.current_revision() == await database.head_revision() == HEAD
        async with database.engine.connect() as connection:
            tables = await connection.run_sync(lambda c: set(inspect(c).get_table_names()))
        assert set(Base.metadata.tables) | {"alembic_version"} == tables
        assert await database.upgrade() == HEAD
    finally:
        await database.close()


async def test_upgraded_schema_has_no_autogenerate_diff(database: Database) -> None:
    """compare_metadata finds nothing between the migrated database and the models."""
    async with database.engine.connect() as connection:
        assert await connection.run_sync(_schema_diff, Base.metadata) == []
        # The comparison does look: against no models, every table is surplus.
        surplus = await connection.run_sync(_schema_diff, MetaData())
    removed = {change[1].name for change in surplus if change[0] == "remove_table"}
    assert removed == set(Base.metadata.tables)


async def test_downgrade_to_base_then_upgrade_again(sqlite_db: Database) -> None:
    """The initial revision's downgrade drops everything it created."""

    def downgrade(connection: Connection) -> None:
        command.downgrade(schema.alembic_config(connection=connection), "base")

    async with sqlite_db.engine.begin() as connection:
        await connection.run_sync(downgrade)
    async with sqlite_db.engine.connect() as connection:
        tables = await connection.run_sync(lambda c: inspect(c).get_table_names())
    assert tables == ["alembic_version"]
    assert await sqlite_db.upgrade() == HEAD


async def test_ensure_schema_refuses_an_outdated_database_without_auto_upgrade(
    sqlite_url: str, metrics: PersistenceMetrics
) -> None:
    """With auto_upgrade off, a database behind head is an error that says what to run."""
    database = Database(sqlite_url, metrics=metrics)
    await database.connect()
    try:
        with pytest.raises(SchemaOutdatedError, match="db upgrade"):
            await database.ensure_schema(auto_upgrade=False)
        assert await database.ensure_schema(auto_upgrade=True) == HEAD
        assert await database.ensure_schema(auto_upgrade=False) == HEAD
    finally:
        await database.close()


async def test_cli_upgrade_seeds_flags_and_current_reports_head(sqlite_url: str) -> None:
    """`db upgrade` migrates and seeds; `db current` reports (current, head)."""
    assert await commands.current(sqlite_url) == (None, HEAD)
    assert await commands.upgrade(sqlite_url) == HEAD
    assert await commands.upgrade(sqlite_url) == HEAD
    assert await commands.current(sqlite_url) == (HEAD, HEAD)


async def test_env_runs_on_its_own_engine_from_a_url_with_percent_signs(tmp_path: Path) -> None:
    """Without a connection, env.py opens an async engine on the (escaped) URL."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'odd%20name.db'}"
    config = schema.alembic_config(url=url)
    await asyncio.to_thread(command.upgrade, config, "head")
    assert (tmp_path / "odd%20name.db").exists()
    assert await commands.current(url) == (HEAD, HEAD)


async def test_new_revision_is_numbered_after_the_last(
    tmp_path: Path, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`db revision` writes 0002_<slug>.py on top of head, from the project's template."""
    migrations = tmp_path / "migrations"
    await asyncio.to_thread(shutil.copytree, schema.MIGRATIONS_DIR, migrations)
    monkeypatch.setattr(schema, "MIGRATIONS_DIR", migrations)
    await commands.upgrade(sqlite_url)
    path = await commands.revision(sqlite_url, "Add lyrics cache")
    new = f"{int(HEAD[:4]) + 1:04d}_add_lyrics_cache"
    assert path == migrations / "versions" / f"{new}.py"
    source = await asyncio.to_thread(path.read_text)
    assert f"revision: str = '{new}'" in source
    assert f"down_revision: str | Sequence[str] | None = '{HEAD}'" in source
    compile(source, str(path), "exec")
    assert await commands.current(sqlite_url) == (HEAD, new)


async def test_processes_upgrading_postgres_at_once_do_not_collide(
    empty_postgres_url: str, metrics: PersistenceMetrics
) -> None:
    """Shard processes starting together: the advisory lock lets one migrate, the rest wait."""
    databases = [Database(empty_postgres_url, metrics=metrics) for _ in range(3)]
    for database in databases:
        await database.connect()
    try:
        revisions = await asyncio.gather(*(database.upgrade() for database in databases))
    finally:
        for database in databases:
            await database.close()
    assert revisions == [HEAD] * 3


async def test_a_stored_english_default_becomes_auto(tmp_path: Path) -> None:
    """0006: "en" was only ever the default, so it now follows each member; "de" stays."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'languages.db'}"
    config = schema.alembic_config(url=url)
    await asyncio.to_thread(command.upgrade, config, "0005_effects_sponsorblock")
    database = Database(url)
    await database.connect()
    try:
        async with database.transaction() as session:
            for guild_id, language in ((1, "en"), (2, "de")):
                await session.execute(
                    text(
                        "INSERT INTO guild_configs (guild_id, default_volume, stay_247,"
                        " autoplay_mode, max_queue_length, language, vote_skip_ratio,"
                        " default_source, sponsorblock_categories, updated_at) VALUES"
                        " (:g, 100, 0, 'off', 500, :l, 0.5, 'youtube', '[]', '2026-01-01')"
                    ),
                    {"g": guild_id, "l": language},
                )
        await asyncio.to_thread(command.upgrade, config, "head")
        async with database.session() as session:
            rows = (await session.execute(text("SELECT guild_id, language FROM guild_configs")))
            assert sorted(rows.all()) == [(1, "auto"), (2, "de")]
    finally:
        await database.close()
