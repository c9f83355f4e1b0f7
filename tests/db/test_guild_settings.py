"""Guild settings: defaults, validated partial updates, reset."""

from __future__ import annotations

from typing import Any

import pytest

from bot.db.database import Database
from bot.db.errors import InvalidSettingError
from bot.db.guild_settings import AUTOPLAY_MODES, GuildSettings, GuildSettingsStore
from tests.db.conftest import SNOWFLAKE

SPEC_AUTOPLAY_MODES = ("off", "similar", "artist", "genre", "mixed")


def _configured_defaults(guild_id: int) -> GuildSettings:
    """What a `[guild_defaults]` section with non-default values turns into."""
    return GuildSettings(
        guild_id=guild_id,
        default_volume=60,
        autoplay_mode="mixed",
        max_queue_length=200,
        vote_skip_ratio=0.75,
        default_source="soundcloud",
    )


async def test_a_guild_without_a_row_gets_the_defaults(database: Database) -> None:
    """Nothing stored means the documented defaults."""
    settings = await GuildSettingsStore(database).get(SNOWFLAKE)
    assert settings == GuildSettings(guild_id=SNOWFLAKE)
    assert (settings.default_volume, settings.vote_skip_ratio, settings.language) == (
        100,
        0.5,
        "auto",
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
    await store.update(SNOWFLAKE, language="fr")
    assert await store.reset(SNOWFLAKE) == GuildSettings(guild_id=SNOWFLAKE)
    assert await store.get(SNOWFLAKE) == GuildSettings(guild_id=SNOWFLAKE)


async def test_configured_defaults_apply_to_a_guild_without_a_row(database: Database) -> None:
    """The process's guild defaults, not the dataclass's, answer for an untouched guild."""
    store = GuildSettingsStore(database, defaults=_configured_defaults)
    assert await store.get(SNOWFLAKE) == _configured_defaults(SNOWFLAKE)


async def test_the_first_update_starts_from_the_configured_defaults(database: Database) -> None:
    """Changing one setting keeps the configured values of all the others."""
    store = GuildSettingsStore(database, defaults=_configured_defaults)
    updated = await store.update(SNOWFLAKE, language="de")
    assert updated == GuildSettings(
        guild_id=SNOWFLAKE,
        default_volume=60,
        autoplay_mode="mixed",
        max_queue_length=200,
        vote_skip_ratio=0.75,
        default_source="soundcloud",
        language="de",
    )
    assert await store.get(SNOWFLAKE) == updated


async def test_reset_returns_to_the_configured_defaults(database: Database) -> None:
    """reset() gives back the process's defaults, as get() does afterwards."""
    store = GuildSettingsStore(database, defaults=_configured_defaults)
    await store.update(SNOWFLAKE, default_volume=150)
    assert await store.reset(SNOWFLAKE) == _configured_defaults(SNOWFLAKE)
    assert await store.get(SNOWFLAKE) == _configured_defaults(SNOWFLAKE)


def test_autoplay_modes_are_the_product_specs() -> None:
    """Exactly the modes the product spec lists, and the config accepts."""
    assert frozenset(SPEC_AUTOPLAY_MODES) == AUTOPLAY_MODES
    assert GuildSettings(guild_id=1).autoplay_mode == "off"


@pytest.mark.parametrize("mode", SPEC_AUTOPLAY_MODES)
async def test_every_autoplay_mode_can_be_stored(sqlite_db: Database, mode: str) -> None:
    """Each mode is accepted and read back."""
    store = GuildSettingsStore(sqlite_db)
    await store.update(SNOWFLAKE, autoplay_mode=mode)
    assert (await store.get(SNOWFLAKE)).autoplay_mode == mode


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"default_volume": 201}, "default_volume"),
        ({"default_volume": -1}, "default_volume"),
        ({"default_volume": True}, "default_volume"),
        ({"vote_skip_ratio": 1.5}, "vote_skip_ratio"),
        ({"vote_skip_ratio": float("nan")}, "vote_skip_ratio"),
        ({"autoplay_mode": "sometimes"}, "autoplay_mode"),
        ({"autoplay_mode": "related"}, "autoplay_mode"),
        ({"max_queue_length": 0}, "max_queue_length"),
        ({"dj_role_id": 0}, "dj_role_id"),
        ({"language": "english"}, "language"),
        ({"allowed_sources": "youtube"}, "allowed_sources"),
        ({"allowed_sources": ["YouTube!"]}, "allowed_sources"),
        ({"allowed_sources": ["soundcloud"]}, "default_source"),
        ({"sponsorblock_categories": "sponsor"}, "sponsorblock_categories"),
        ({"sponsorblock_categories": ["Sponsor!"]}, "sponsorblock_categories"),
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


async def test_sponsorblock_categories_are_kept_sorted_and_cleared_with_an_empty_list(
    database: Database,
) -> None:
    """The guild's SponsorBlock categories round-trip (sorted, no repeats); [] skips nothing."""
    store = GuildSettingsStore(database)
    assert (await store.get(SNOWFLAKE)).sponsorblock_categories == ()
    await store.update(SNOWFLAKE, sponsorblock_categories=["sponsor", "intro", "sponsor"])
    assert (await store.get(SNOWFLAKE)).sponsorblock_categories == ("intro", "sponsor")
    await store.update(SNOWFLAKE, sponsorblock_categories=[])
    assert (await store.get(SNOWFLAKE)).sponsorblock_categories == ()
