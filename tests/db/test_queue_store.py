"""Queue snapshots: whole-queue saves, exact round trips, resume of every guild."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.db.database import Database
from bot.db.queue_store import QueueSnapshot, QueueStore, StoredTrack
from tests.db.conftest import SNOWFLAKE


def _track(n: int, **overrides: object) -> StoredTrack:
    values: dict[str, object] = {
        "encoded": f"QAAAjQIAJVJpY2sgQXN0bGV5{n}==",
        "title": f"Song {n} — ünïcode ♪",
        "author": f"Artist {n}",
        "length_ms": 212_000 + n,
        "requester_id": SNOWFLAKE + n,
        "uri": f"https://youtu.be/{n}",
        "source": "youtube",
        "is_autoplay": n % 2 == 1,
        "added_at": datetime(2024, 6, 1, 10, n % 60, tzinfo=UTC),
    }
    values.update(overrides)
    return StoredTrack(**values)  # type: ignore[arg-type]


def _snapshot(guild_id: int, count: int) -> QueueSnapshot:
    return QueueSnapshot(
        guild_id=guild_id,
        tracks=[_track(n) for n in range(count)],
        current_index=min(2, count),
        position_ms=93_500,
        loop_mode="queue",
        volume=75,
        paused=True,
        voice_channel_id=SNOWFLAKE + 10,
        text_channel_id=SNOWFLAKE + 11,
        node_label="main-eu",
        now_playing_message_id=SNOWFLAKE + 12,
    )


async def test_snapshot_round_trip_keeps_order_and_every_field(database: Database) -> None:
    """What is saved is exactly what is loaded, tracks in the same order."""
    store = QueueStore(database)
    snapshot = _snapshot(SNOWFLAKE, 25)
    snapshot.tracks.append(_track(99, uri=None, source=None))
    await store.save_snapshot(snapshot)
    assert await store.load_snapshot(SNOWFLAKE) == snapshot


async def test_saving_again_replaces_the_whole_queue(database: Database) -> None:
    """A shorter, reordered queue fully replaces the stored one."""
    store = QueueStore(database)
    await store.save_snapshot(_snapshot(SNOWFLAKE, 10))
    replacement = _snapshot(SNOWFLAKE, 0)
    replacement.tracks = [_track(7), _track(3)]
    replacement.loop_mode = "off"
    await store.save_snapshot(replacement)
    assert await store.load_snapshot(SNOWFLAKE) == replacement


async def test_load_all_returns_every_guild_for_resume(database: Database) -> None:
    """load_all() gives each stored queue, an empty one included, ordered by guild."""
    store = QueueStore(database)
    snapshots = [_snapshot(SNOWFLAKE + 2, 3), _snapshot(SNOWFLAKE + 1, 0), _snapshot(5, 4)]
    for snapshot in snapshots:
        await store.save_snapshot(snapshot)
    assert await store.load_all() == sorted(snapshots, key=lambda s: s.guild_id)


async def test_delete_forgets_the_queue_and_its_tracks(database: Database) -> None:
    """After delete() the guild has no snapshot, and deleting twice is harmless."""
    store = QueueStore(database)
    await store.save_snapshot(_snapshot(SNOWFLAKE, 3))
    assert await store.delete(SNOWFLAKE) is True
    assert await store.load_snapshot(SNOWFLAKE) is None
    assert await store.load_all() == []
    assert await store.delete(SNOWFLAKE) is False


async def test_update_progress_touches_only_the_progress(database: Database) -> None:
    """Position, index and pause change; tracks and the rest stay."""
    store = QueueStore(database)
    snapshot = _snapshot(SNOWFLAKE, 5)
    await store.save_snapshot(snapshot)
    assert await store.update_progress(SNOWFLAKE, 4, 1_000, False) is True
    loaded = await store.load_snapshot(SNOWFLAKE)
    assert loaded is not None
    assert (loaded.current_index, loaded.position_ms, loaded.paused) == (4, 1_000, False)
    assert loaded.tracks == snapshot.tracks and loaded.volume == snapshot.volume


async def test_update_progress_of_a_guild_without_queue_reports_false(sqlite_db: Database) -> None:
    """Progress for an unknown guild does not create a queue."""
    store = QueueStore(sqlite_db)
    assert await store.update_progress(SNOWFLAKE, 0, 0, False) is False
    assert await store.load_snapshot(SNOWFLAKE) is None


def test_snapshot_refuses_an_unknown_loop_mode() -> None:
    """Loop modes are the domain's: off, track, queue."""
    with pytest.raises(ValueError, match="loop_mode"):
        QueueSnapshot(guild_id=1, loop_mode="shuffle")
