"""Listening stats from play history: totals, top tracks and requesters, period, opt-out."""

from __future__ import annotations

from datetime import timedelta

from bot.db.database import Database
from bot.db.history import HistoryStore, PlayedTrack
from bot.db.play_stats import PlayStatsStore, RequesterCount
from bot.db.timestamps import utcnow
from tests.db.conftest import SNOWFLAKE

ALICE, BOB, CAROL = SNOWFLAKE + 1, SNOWFLAKE + 2, SNOWFLAKE + 3


def _play(
    title: str,
    requester: int | None,
    *,
    length_ms: int | None = 180_000,
    days_ago: float = 0,
    autoplay: bool = False,
    guild_id: int = SNOWFLAKE,
) -> PlayedTrack:
    return PlayedTrack(
        guild_id=guild_id,
        encoded=f"enc-{title}",
        title=title,
        author="Artist",
        uri=f"https://example.com/{title}",
        requester_id=requester,
        played_at=utcnow() - timedelta(days=days_ago),
        length_ms=length_ms,
        is_autoplay=autoplay,
    )


async def _record(database: Database, *plays: PlayedTrack) -> None:
    history = HistoryStore(database)
    for play in plays:
        await history.add(play)


async def test_totals_top_tracks_and_requesters(database: Database) -> None:
    """Plays and length add up; tracks and requesters are ranked by plays; autoplay picks
    count as plays but not as anyone's request; older plays without a length count 0."""
    await _record(
        database,
        _play("A", ALICE),
        _play("A", BOB),
        _play("A", ALICE),
        _play("B", BOB),
        _play("C", ALICE, autoplay=True),
        _play("D", None, length_ms=None),
        _play("A", ALICE, guild_id=SNOWFLAKE + 9),
    )
    stats = await PlayStatsStore(database).guild_stats(SNOWFLAKE, limit=2)
    assert stats.plays == 6
    assert stats.listened_ms == 5 * 180_000
    assert [(t.title, t.plays) for t in stats.top_tracks] == [("A", 3), ("D", 1)]
    assert stats.top_tracks[0].uri == "https://example.com/A"
    assert stats.top_requesters == (RequesterCount(ALICE, 2), RequesterCount(BOB, 2))


async def test_period_and_hidden_users(database: Database) -> None:
    """`since` drops older plays; hidden users' requests are left out of every figure."""
    await _record(database, _play("A", ALICE), _play("B", BOB), _play("C", CAROL, days_ago=10))
    store = PlayStatsStore(database)
    recent = await store.guild_stats(SNOWFLAKE, since=utcnow() - timedelta(days=7))
    assert recent.plays == 2
    hidden = await store.guild_stats(SNOWFLAKE, hidden_users={BOB})
    assert [t.title for t in hidden.top_tracks] == ["A", "C"]  # a tie: the latest first
    assert {r.user_id for r in hidden.top_requesters} == {ALICE, CAROL}
    assert hidden.plays == 2 and hidden.listened_ms == 2 * 180_000


async def test_opt_out_is_a_preference_found_among_the_guilds_requesters(
    database: Database,
) -> None:
    """Opting out is stored per user; the guild's opted-out requesters are found; opting
    in again removes the preference."""
    await _record(database, _play("A", ALICE), _play("B", BOB))
    store = PlayStatsStore(database)
    await store.set_opted_out(BOB, True)
    await store.set_opted_out(CAROL, True)  # not a requester in this guild
    assert await store.opted_out_requesters(SNOWFLAKE) == {BOB}
    await store.set_opted_out(BOB, False)
    assert await store.opted_out_requesters(SNOWFLAKE) == frozenset()
