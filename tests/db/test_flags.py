"""Feature flags: idempotent seeding and the guild > global > default order."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.db.database import Database
from bot.db.flags import DEFAULT_FLAGS, FlagStore
from bot.db.models import FeatureFlag
from tests.db.conftest import SNOWFLAKE


async def _row_count(database: Database) -> int:
    async with database.session() as session:
        return int(await session.scalar(select(func.count()).select_from(FeatureFlag)) or 0)


async def test_seeding_twice_is_harmless_and_keeps_operator_changes(database: Database) -> None:
    """The second seed inserts nothing and does not undo a flag someone flipped."""
    flags = FlagStore(database)
    assert await flags.seed_defaults() == len(DEFAULT_FLAGS)
    await flags.set("lyrics", True)
    assert await flags.seed_defaults() == 0
    assert await _row_count(database) == len(DEFAULT_FLAGS)
    assert await flags.get("lyrics") is True
    assert await flags.effective() == {**DEFAULT_FLAGS, "lyrics": True}


async def test_guild_override_beats_global_beats_default(database: Database) -> None:
    """Each level decides only when the one above it says nothing."""
    flags = FlagStore(database)
    assert await flags.get("sponsorblock", SNOWFLAKE) is True
    await flags.set("sponsorblock", False)
    assert await flags.get("sponsorblock", SNOWFLAKE) is False
    await flags.set("sponsorblock", True, SNOWFLAKE)
    await flags.set("sponsorblock", True, SNOWFLAKE)  # an upsert, not a second row
    assert await flags.get("sponsorblock", SNOWFLAKE) is True
    assert await flags.get("sponsorblock", SNOWFLAKE + 1) is False
    assert (await flags.effective(SNOWFLAKE))["sponsorblock"] is True
    assert await flags.clear("sponsorblock", SNOWFLAKE) is True
    assert await flags.get("sponsorblock", SNOWFLAKE) is False
    assert await _row_count(database) == 1


async def test_unknown_flags_are_off(database: Database) -> None:
    """A flag nobody defined or stored is disabled."""
    assert await FlagStore(database).get("time_travel", SNOWFLAKE) is False
