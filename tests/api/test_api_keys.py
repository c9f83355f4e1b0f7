"""API keys: stored hashed, shown once, verified in constant time, revocable."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.db.api_keys import ApiKey, ApiKeyRecord, ApiKeyStore, KeyScope, parse_token
from bot.db.database import Database


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[ApiKeyStore]:
    """A migrated SQLite database with the key store on it."""
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'keys.db'}")
    await database.connect()
    await database.upgrade()
    yield ApiKeyStore(database)
    await database.close()


async def test_created_key_verifies_and_only_its_hash_is_stored(store: ApiKeyStore) -> None:
    """The token verifies to its record; the table holds a SHA-256, never the secret."""
    issued = await store.create(guild_id=42, scope=KeyScope.CONTROL, label="dashboard")
    record = await store.verify(issued.token)
    assert record == issued.record
    assert record.guild_id == 42 and record.scope is KeyScope.CONTROL
    parsed = parse_token(issued.token)
    assert parsed is not None
    async with store._db.session() as session:
        row = await session.scalar(select(ApiKey))
    assert row is not None and parsed[1] not in row.secret_hash and len(row.secret_hash) == 64


async def test_wrong_secret_unknown_prefix_and_garbage_are_refused(store: ApiKeyStore) -> None:
    """Any token that is not exactly a stored key verifies to nothing."""
    issued = await store.create(guild_id=None, scope=KeyScope.READ)
    prefix = issued.record.prefix
    for token in (
        f"mbk_{prefix}_wrong",
        f"mbk_00000000_{issued.token.rsplit('_', 1)[1]}",
        "mbk__",
        "Bearer nonsense",
        "",
    ):
        assert await store.verify(token) is None


async def test_revoked_key_is_refused_and_listed_as_revoked(store: ApiKeyStore) -> None:
    """Revoking is immediate and idempotent; the list still shows the key."""
    issued = await store.create(guild_id=7, scope=KeyScope.READ)
    assert await store.revoke(issued.record.id)
    assert not await store.revoke(issued.record.id)
    assert await store.verify(issued.token) is None
    (listed,) = await store.list()
    assert listed.revoked and listed.id == issued.record.id
    assert await store.list(include_revoked=False) == []


def test_a_key_touches_only_its_guild() -> None:
    """A guild key allows its guild; a key without a guild allows every guild."""
    now = datetime.now(UTC)
    scoped = ApiKeyRecord(1, "p", 1, KeyScope.READ, "", now, None)
    everywhere = ApiKeyRecord(2, "q", None, KeyScope.READ, "", now, None)
    assert scoped.allows_guild(1) and not scoped.allows_guild(2)
    assert everywhere.allows_guild(2)
