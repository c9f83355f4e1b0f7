"""Play history and audit log: append, newest first, filters, retention."""

from __future__ import annotations

from datetime import timedelta

from bot.db.audit import AuditStore
from bot.db.database import Database
from bot.db.history import HistoryStore, PlayedTrack
from bot.db.timestamps import utcnow
from tests.db.conftest import SNOWFLAKE


def _play(n: int, days_ago: float = 0, guild_id: int = SNOWFLAKE) -> PlayedTrack:
    return PlayedTrack(
        guild_id=guild_id,
        encoded=f"enc{n}",
        title=f"Song {n}",
        author="Artist",
        uri=f"https://youtu.be/{n}",
        identifier=f"id{n}",
        source="youtube",
        requester_id=SNOWFLAKE,
        played_at=utcnow() - timedelta(days=days_ago, seconds=n),
    )


async def test_recent_plays_are_newest_first_and_per_guild(database: Database) -> None:
    """recent() returns the guild's latest plays, limited, with every field intact."""
    history = HistoryStore(database)
    plays = [_play(n) for n in range(5)]
    for play in plays:
        await history.add(play)
    await history.add(_play(9, guild_id=SNOWFLAKE + 1))
    assert await history.recent(SNOWFLAKE, limit=3) == plays[:3]


async def test_prune_deletes_only_old_plays(database: Database) -> None:
    """Retention removes plays older than the cut-off in every guild."""
    history = HistoryStore(database)
    await history.add(_play(1, days_ago=40))
    await history.add(_play(2, days_ago=40, guild_id=SNOWFLAKE + 1))
    await history.add(_play(3, days_ago=1))
    assert await history.prune(older_than_days=30) == 2
    assert [p.title for p in await history.recent(SNOWFLAKE)] == ["Song 3"]


async def test_audit_entries_round_trip_and_filter(database: Database) -> None:
    """Entries come back newest first with their detail; filters narrow them."""
    audit = AuditStore(database)
    first = await audit.add(
        "settings.update",
        guild_id=SNOWFLAKE,
        user_id=SNOWFLAKE + 1,
        detail={"default_volume": [100, 80]},
        correlation_id="c-1",
    )
    second = await audit.add("queue.clear", guild_id=SNOWFLAKE, user_id=SNOWFLAKE + 2)
    await audit.add("flag.set", detail={"name": "lyrics"})
    assert first.id is not None and second.id is not None
    assert await audit.recent(SNOWFLAKE) == [second, first]
    assert await audit.recent(action="flag.set", limit=5) != []
    assert await audit.recent(correlation_id="c-1") == [first]
    assert (await audit.recent(SNOWFLAKE, action="settings.update"))[0].detail == {
        "default_volume": [100, 80]
    }


async def test_audit_prune_keeps_recent_entries(database: Database) -> None:
    """Nothing recent is pruned."""
    audit = AuditStore(database)
    await audit.add("queue.clear", guild_id=SNOWFLAKE)
    assert await audit.prune(older_than_days=1) == 0
    assert len(await audit.recent(SNOWFLAKE)) == 1
