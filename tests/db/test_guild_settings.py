"""Guild settings: defaults, validated partial updates, reset."""

from __future__ import annotations

from typing import Any

import pytest

from bot.db.database import Database
from bot.db.errors import InvalidSettingError
from bot.db.guild_settings import GuildSettings, GuildSettingsStore
from tests.db.conftest import SNOWFLAKE


async def test_a_guild_without_a_row_gets_the_defaults(database: Database) -> None:
    """Nothing stored means the documented defaults."""
    settings = await GuildSettingsStore(database).get(SNOWFLAKE)
    assert settings == GuildSettings(guild_id=SNOWFLAKE)
    assert (settings.default_volume, settings.vote_skip_ratio, settings.language) == (
        100,
        0.5,
        "en",
    )


async def test_partial_update_changes_only_the_given_fields(database: Database) -> None:
    """Two partial updates accumulate and are read back from the database."""
    store = GuildSettingsStore(database)
    await store.update(SNOWFLAKE, default_volume=80, stay_247=True)
    updated = await store.update(
        SNOWFLAKE, allowed_sources=["youtube", "soundcloud"], vote_skip_ratio=1
    )
    assert updated == await store.get(SNOWFLAKE)
    assert updated.default_volume == 80
    assert updated.stay_247 is True
    assert updated.allowed_sources == ("youtube", "soundcloud")
    assert updated.vote_skip_ratio == 1.0
    assert updated.allows_source("soundcloud") and not updated.allows_source("spotify")


async def test_reset_restores_the_defaults(database: Database) -> None:
    """reset() forgets everything the guild changed."""
    store = GuildSettingsStore(database)
    await store.update(SNOWFLAKE, language="pt-BR")
    assert await store.reset(SNOWFLAKE) == GuildSettings(guild_id=SNOWFLAKE)
    assert await store.get(SNOWFLAKE) == GuildSettings(guild_id=SNOWFLAKE)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"default_volume": 201}, "default_volume"),
        ({"default_volume": -1}, "default_volume"),
        ({"default_volume": True}, "default_volume"),
        ({"vote_skip_ratio": 1.5}, "vote_skip_ratio"),
        ({"vote_skip_ratio": float("nan")}, "vote_skip_ratio"),
        ({"autoplay_mode": "sometimes"}, "autoplay_mode"),
        ({"max_queue_length": 0}, "max_queue_length"),
        ({"dj_role_id": 0}, "dj_role_id"),
        ({"language": "english"}, "language"),
        ({"allowed_sources": "youtube"}, "allowed_sources"),
        ({"allowed_sources": ["YouTube!"]}, "allowed_sources"),
        ({"allowed_sources": ["soundcloud"]}, "default_source"),
        ({"volume": 50}, "volume"),
    ],
)
async def test_invalid_values_are_refused_and_nothing_is_stored(
    sqlite_db: Database, changes: dict[str, Any], field: str
) -> None:
    """A bad value raises InvalidSettingError naming the field; the row stays untouched."""
    store = GuildSettingsStore(sqlite_db)
    with pytest.raises(InvalidSettingError) as raised:
        await store.update(SNOWFLAKE, **changes)
    assert raised.value.field == field
    assert await store.get(SNOWFLAKE) == GuildSettings(guild_id=SNOWFLAKE)


async def test_optional_ids_can_be_cleared(sqlite_db: Database) -> None:
    """None removes a DJ role or an allow-list."""
    store = GuildSettingsStore(sqlite_db)
    await store.update(SNOWFLAKE, dj_role_id=SNOWFLAKE, allowed_sources=["youtube"])
    cleared = await store.update(SNOWFLAKE, dj_role_id=None, allowed_sources=None)
    assert cleared.dj_role_id is None and cleared.allowed_sources is None
