"""Progress writes are coalesced: one per guild per interval, and whatever is left on close."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from itertools import pairwise

import pytest
from sqlalchemy.exc import OperationalError

from bot.db.database import Database
from bot.db.progress_writer import ProgressWriter
from bot.db.queue_store import PlaybackProgress, QueueSnapshot, QueueStore
from tests.db.conftest import SNOWFLAKE


class RecordingStore(QueueStore):
    """The real store, recording each write and able to fail the next ``failures`` of them."""

    def __init__(self, database: Database) -> None:
        super().__init__(database)
        self.writes: list[list[PlaybackProgress]] = []
        self.write_times: list[float] = []
        self.failures = 0

    async def update_progress_many(self, updates: Sequence[PlaybackProgress]) -> int:
        if self.failures:
            self.failures -= 1
            raise OperationalError("UPDATE", {}, ConnectionRefusedError("database is down"))
        self.writes.append(list(updates))
        self.write_times.append(time.monotonic())
        return await super().update_progress_many(updates)


@pytest.fixture
async def store(sqlite_db: Database) -> RecordingStore:
    """A recording store with two guilds' queues saved."""
    store = RecordingStore(sqlite_db)
    for guild_id in (SNOWFLAKE, SNOWFLAKE + 1):
        await store.save_snapshot(QueueSnapshot(guild_id=guild_id))
    return store


async def _progress(store: QueueStore, guild_id: int = SNOWFLAKE) -> tuple[int, int, bool]:
    snapshot = await store.load_snapshot(guild_id)
    assert snapshot is not None
    return snapshot.current_index, snapshot.position_ms, snapshot.paused


async def _eventually(condition: Callable[[], bool], attempts: int = 300) -> None:
    for _ in range(attempts):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition never became true")


async def test_a_thousand_notes_become_at_most_two_writes(store: RecordingStore) -> None:
    """A burst of notes is written once (latest value wins), not a thousand times."""
    writer = ProgressWriter(store, interval=0.05)
    for position in range(1000):
        writer.note(SNOWFLAKE, 3, position, False)
    await asyncio.sleep(0.15)
    assert 1 <= len(store.writes) <= 2
    assert await _progress(store) == (3, 999, False)
    await writer.close()
    assert len(store.writes) <= 2


async def test_each_guild_is_written_at_most_once_per_interval(store: RecordingStore) -> None:
    """Notes every 10 ms for two guilds: writes of a guild are at least an interval apart."""
    interval = 0.05
    writer = ProgressWriter(store, interval=interval)
    for step in range(25):
        writer.note(SNOWFLAKE, 0, step, False)
        writer.note(SNOWFLAKE + 1, 1, step, True)
        await asyncio.sleep(0.01)
    ticks = list(store.write_times)
    await writer.close()
    assert len(ticks) >= 2
    assert all(later - earlier >= interval * 0.9 for earlier, later in pairwise(ticks))
    assert all({p.guild_id for p in batch} == {SNOWFLAKE, SNOWFLAKE + 1} for batch in store.writes)
    assert await _progress(store, SNOWFLAKE + 1) == (1, 24, True)


async def test_close_writes_what_is_pending(store: RecordingStore) -> None:
    """Shutdown does not wait for the next tick: pending progress is stored by close()."""
    writer = ProgressWriter(store, interval=60)
    writer.note(SNOWFLAKE, 2, 45_000, True)
    assert store.writes == []
    await writer.close()
    assert await _progress(store) == (2, 45_000, True)
    assert writer.pending_count == 0


async def test_a_failed_write_is_kept_and_retried_with_the_newest_value(
    store: RecordingStore, log_lines: list[str]
) -> None:
    """The database failing keeps one pending entry per guild; the next tick stores the latest."""
    writer = ProgressWriter(store, interval=0.03)
    store.failures = 2
    writer.note(SNOWFLAKE, 1, 100, False)
    await writer.flush()
    assert writer.pending_count == 1
    writer.note(SNOWFLAKE, 1, 200, False)
    assert writer.pending_count == 1
    await _eventually(lambda: writer.pending_count == 0)
    assert await _progress(store) == (1, 200, False)
    assert sum(1 for line in log_lines if "will retry" in line) == 2
    await writer.close()


async def test_discarded_progress_is_not_written(store: RecordingStore) -> None:
    """discard() drops a guild's pending value, e.g. before a new snapshot is saved."""
    writer = ProgressWriter(store, interval=60)
    writer.note(SNOWFLAKE, 9, 9, True)
    writer.discard(SNOWFLAKE)
    await writer.close()
    assert store.writes == []


async def test_notes_after_close_are_dropped_with_a_warning(
    store: RecordingStore, log_lines: list[str]
) -> None:
    """A late note cannot start a new background task after shutdown."""
    writer = ProgressWriter(store, interval=60)
    await writer.close()
    writer.note(SNOWFLAKE, 0, 1, False)
    assert writer.pending_count == 0
    assert any("after ProgressWriter.close()" in line for line in log_lines)


async def test_progress_discarded_during_a_failed_write_is_not_retried(
    sqlite_db: Database,
) -> None:
    """A guild discarded while its write was failing stays discarded."""
    writer: ProgressWriter

    class FailingStore(QueueStore):
        async def update_progress_many(self, updates: Sequence[PlaybackProgress]) -> int:
            writer.discard(SNOWFLAKE)
            raise OperationalError("UPDATE", {}, ConnectionRefusedError("database is down"))

    writer = ProgressWriter(FailingStore(sqlite_db), interval=60)
    writer.note(SNOWFLAKE, 1, 1, False)
    writer.note(SNOWFLAKE + 1, 1, 1, False)
    await writer.flush()
    assert writer.pending_count == 1
    writer.discard(SNOWFLAKE + 1)
    await writer.close()
