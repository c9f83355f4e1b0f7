"""Queue snapshots: whole-queue saves, exact round trips, resume, concurrent appends."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from bot.db.database import Database
from bot.db.models import QueueItem
from bot.db.queue_store import QueueSnapshot, QueueStore, StoredTrack
from tests.db.conftest import SNOWFLAKE

MAX_SNOWFLAKE = 2**63 - 1


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
        "identifier": f"dQw4w9WgX{n:02d}",
        "artwork_url": f"https://i.ytimg.com/vi/{n}/hqdefault.jpg",
        "is_stream": n % 3 == 0,
        "is_seekable": n % 3 != 0,
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
        effects=[{"name": "bassboost_high"}, {"name": "speed", "value": 1.25}],
    )


async def test_snapshot_round_trip_keeps_order_and_every_field(database: Database) -> None:
    """What is saved is exactly what is loaded, tracks in the same order."""
    store = QueueStore(database)
    snapshot = _snapshot(SNOWFLAKE, 25)
    snapshot.tracks.append(_track(99, uri=None, source=None, artwork_url=None))
    await store.save_snapshot(snapshot)
    assert await store.load_snapshot(SNOWFLAKE) == snapshot


async def test_a_track_saved_without_lavalink_details_gets_their_defaults(
    database: Database,
) -> None:
    """Tracks built before identifier/artwork/stream flags existed load with the defaults."""
    store = QueueStore(database)
    bare = StoredTrack(encoded="QAAA", title="t", author="a", length_ms=1, requester_id=1)
    await store.save_snapshot(QueueSnapshot(guild_id=1, tracks=[bare]))
    loaded = await store.load_snapshot(1)
    assert loaded is not None
    (track,) = loaded.tracks
    assert (track.identifier, track.artwork_url, track.is_stream, track.is_seekable) == (
        "",
        None,
        False,
        True,
    )


async def test_a_500_track_queue_round_trips_exactly(database: Database) -> None:
    """Order, ids and encoded blobs survive, non-ASCII titles and emoji included."""
    store = QueueStore(database)
    snapshot = _snapshot(SNOWFLAKE, 0)
    snapshot.tracks = [
        _track(
            n,
            encoded=f"QAAA{n:04d}" + "A" * 400 + "==",
            title=f"Sigur Rós – Hoppípolla 🎵 #{n}",
            author="Sigur Rós",
            requester_id=MAX_SNOWFLAKE - n,
        )
        for n in range(500)
    ]
    await store.save_snapshot(snapshot)
    loaded = await store.load_snapshot(SNOWFLAKE)
    assert loaded == snapshot
    assert loaded is not None
    assert [t.requester_id for t in loaded.tracks] == [MAX_SNOWFLAKE - n for n in range(500)]
    assert loaded.tracks[499].title == "Sigur Rós – Hoppípolla 🎵 #499"


async def test_snowflakes_beyond_double_precision_round_trip(database: Database) -> None:
    """Ids above 2**53 (not exact as a float) come back exactly, in every id column."""
    store = QueueStore(database)
    snapshot = QueueSnapshot(
        guild_id=2**53 + 1,
        tracks=[_track(0, requester_id=2**53 + 3), _track(1, requester_id=MAX_SNOWFLAKE)],
        voice_channel_id=2**53 + 5,
        text_channel_id=MAX_SNOWFLAKE - 1,
        now_playing_message_id=2**62 + 7,
    )
    await store.save_snapshot(snapshot)
    assert await store.load_snapshot(2**53 + 1) == snapshot
    assert await store.load_all() == [snapshot]


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


async def test_append_adds_after_the_last_track(database: Database) -> None:
    """Appending keeps the stored tracks and state, and reports the first new position."""
    store = QueueStore(database)
    snapshot = _snapshot(SNOWFLAKE, 3)
    await store.save_snapshot(snapshot)
    assert await store.append_tracks(SNOWFLAKE, [_track(10), _track(11)]) == 3
    loaded = await store.load_snapshot(SNOWFLAKE)
    assert loaded is not None
    assert loaded.tracks == [*snapshot.tracks, _track(10), _track(11)]
    assert (loaded.current_index, loaded.position_ms) == (snapshot.current_index, 93_500)


async def test_append_to_a_guild_without_a_queue_creates_it(database: Database) -> None:
    """The first append makes an empty queue with default state, then fills it."""
    store = QueueStore(database)
    assert await store.append_tracks(SNOWFLAKE, [_track(0)]) == 0
    assert await store.load_snapshot(SNOWFLAKE) == QueueSnapshot(
        guild_id=SNOWFLAKE, tracks=[_track(0)]
    )
    assert await store.append_tracks(SNOWFLAKE, []) == 1


async def test_concurrent_appenders_lose_nothing(database: Database) -> None:
    """Ten writers appending batches at once: every track stored, each batch in one piece."""
    store = QueueStore(database)
    await store.save_snapshot(_snapshot(SNOWFLAKE, 2))
    writers, batches, batch_size = 10, 5, 3

    async def writer(w: int) -> list[int]:
        starts = []
        for b in range(batches):
            batch = [_track(i, encoded=f"w{w}-b{b}-{i}") for i in range(batch_size)]
            starts.append(await store.append_tracks(SNOWFLAKE, batch))
        return starts

    starts = await asyncio.gather(*(writer(w) for w in range(writers)))
    async with database.session() as session:
        positions = list(
            await session.scalars(
                select(QueueItem.position)
                .where(QueueItem.guild_id == SNOWFLAKE)
                .order_by(QueueItem.position)
            )
        )
    total = 2 + writers * batches * batch_size
    assert positions == list(range(total))
    loaded = await store.load_snapshot(SNOWFLAKE)
    assert loaded is not None
    encoded = [t.encoded for t in loaded.tracks]
    for w, writer_starts in enumerate(starts):
        assert writer_starts == sorted(writer_starts)
        for b, start in enumerate(writer_starts):
            assert encoded[start : start + batch_size] == [
                f"w{w}-b{b}-{i}" for i in range(batch_size)
            ]
