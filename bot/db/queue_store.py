"""Playback state per guild (queue, current track, position, …) for resume after restart."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update

from bot.db.database import Database
from bot.db.dialect_insert import dialect_insert
from bot.db.models import Queue, QueueItem
from bot.db.storable import storable
from bot.db.timestamps import utcnow

__all__ = ["LOOP_MODES", "PlaybackProgress", "QueueSnapshot", "QueueStore", "StoredTrack"]

LOOP_MODES = frozenset({"off", "track", "queue"})


@dataclass(slots=True)
class StoredTrack:
    """A queued track as persisted: Lavalink's ``encoded`` blob plus what the UI shows.

    ``identifier``, ``artwork_url``, ``is_stream`` and ``is_seekable`` are
    Lavalink's track info, kept so a resumed track behaves as it did before.
    """

    encoded: str
    title: str
    author: str
    length_ms: int
    requester_id: int
    uri: str | None = None
    source: str | None = None
    is_autoplay: bool = False
    added_at: datetime = field(default_factory=utcnow)
    identifier: str = ""
    artwork_url: str | None = None
    is_stream: bool = False
    is_seekable: bool = True


@dataclass(slots=True)
class QueueSnapshot:
    """Everything needed to resume a guild's playback."""

    guild_id: int
    tracks: list[StoredTrack] = field(default_factory=list)
    current_index: int = 0
    position_ms: int = 0
    loop_mode: str = "off"
    volume: int = 100
    paused: bool = False
    voice_channel_id: int | None = None
    text_channel_id: int | None = None
    node_label: str | None = None
    now_playing_message_id: int | None = None
    effects: list[dict[str, Any]] = field(default_factory=list)
    """The active audio effects, oldest first, as `EffectChain.to_data()` gives them."""

    def __post_init__(self) -> None:
        if self.loop_mode not in LOOP_MODES:
            raise ValueError(f"loop_mode must be one of {sorted(LOOP_MODES)}: {self.loop_mode!r}")


@dataclass(frozen=True, slots=True)
class PlaybackProgress:
    """Where playback stands in a guild: the part of a snapshot that changes every second."""

    guild_id: int
    current_index: int
    position_ms: int
    paused: bool


class QueueStore:
    """Saves and loads ``QueueSnapshot``s; one ``Queue`` row plus ordered ``QueueItem`` rows."""

    def __init__(self, database: Database) -> None:
        self._db = database

    async def save_snapshot(self, snapshot: QueueSnapshot) -> None:
        """Replace the guild's stored queue with ``snapshot`` in one transaction."""
        async with self._db.transaction() as session:
            # Locked (on PostgreSQL) so a concurrent append_tracks waits for the new queue.
            queue = await session.get(Queue, snapshot.guild_id, with_for_update=True)
            if queue is None:
                queue = Queue(guild_id=snapshot.guild_id)
                session.add(queue)
            for name in _STATE_FIELDS:
                setattr(queue, name, getattr(snapshot, name))
            queue.updated_at = utcnow()
            await session.execute(delete(QueueItem).where(QueueItem.guild_id == snapshot.guild_id))
            await session.flush()
            if snapshot.tracks:
                await session.execute(
                    insert(QueueItem),
                    [_item_values(snapshot.guild_id, i, t) for i, t in enumerate(snapshot.tracks)],
                )

    async def append_tracks(self, guild_id: int, tracks: Sequence[StoredTrack]) -> int:
        """Add ``tracks`` after the guild's last one, atomically; return the first new position.

        Safe for concurrent callers: each batch lands whole and contiguous, and
        no append is lost. A guild without a stored queue gets an empty one first.
        """
        now = utcnow()
        touch = (
            dialect_insert(self._db.kind, Queue)
            .values(guild_id=guild_id, **_EMPTY_QUEUE_STATE, updated_at=now)
            .on_conflict_do_update(index_elements=[Queue.guild_id], set_={"updated_at": now})
        )
        async with self._db.transaction() as session:
            # A write first: it row-locks the queue on PostgreSQL (as FOR UPDATE would)
            # and takes SQLite's single write lock before anything is read, so the
            # next position below cannot be computed by two writers at once.
            await session.execute(touch)
            last = await session.scalar(
                select(func.max(QueueItem.position)).where(QueueItem.guild_id == guild_id)
            )
            start = 0 if last is None else last + 1
            if tracks:
                await session.execute(
                    insert(QueueItem),
                    [_item_values(guild_id, start + i, t) for i, t in enumerate(tracks)],
                )
        return start

    async def load_snapshot(self, guild_id: int) -> QueueSnapshot | None:
        """Return the guild's stored queue, or None if it has none."""
        async with self._db.session() as session:
            queue = await session.get(Queue, guild_id)
            if queue is None:
                return None
            items = await session.execute(
                select(*_TRACK_COLUMNS)
                .where(QueueItem.guild_id == guild_id)
                .order_by(QueueItem.position)
            )
            return _snapshot(queue, (StoredTrack(*row) for row in items))

    async def load_all(self) -> list[QueueSnapshot]:
        """Return every stored queue, ordered by guild id; used to resume at start."""
        async with self._db.session() as session:
            queues = (await session.scalars(select(Queue).order_by(Queue.guild_id))).all()
            items = await session.execute(
                select(QueueItem.guild_id, *_TRACK_COLUMNS).order_by(
                    QueueItem.guild_id, QueueItem.position
                )
            )
            by_guild: dict[int, list[StoredTrack]] = {}
            for guild_id, *values in items:
                by_guild.setdefault(guild_id, []).append(StoredTrack(*values))
            return [_snapshot(queue, by_guild.get(queue.guild_id, ())) for queue in queues]

    async def delete(self, guild_id: int) -> bool:
        """Forget the guild's queue; return whether there was one."""
        async with self._db.transaction() as session:
            await session.execute(delete(QueueItem).where(QueueItem.guild_id == guild_id))
            result = await session.execute(delete(Queue).where(Queue.guild_id == guild_id))
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def update_progress(
        self, guild_id: int, current_index: int, position_ms: int, paused: bool
    ) -> bool:
        """Store where playback stands; return False if the guild has no stored queue."""
        progress = PlaybackProgress(guild_id, current_index, position_ms, paused)
        return await self.update_progress_many([progress]) == 1

    async def update_progress_many(self, updates: Sequence[PlaybackProgress]) -> int:
        """Store several guilds' progress in one transaction; return how many queues matched."""
        if not updates:
            return 0
        matched = 0
        now = utcnow()
        async with self._db.transaction() as session:
            for progress in updates:
                result = await session.execute(
                    update(Queue)
                    .where(Queue.guild_id == progress.guild_id)
                    .values(
                        current_index=progress.current_index,
                        position_ms=progress.position_ms,
                        paused=progress.paused,
                        updated_at=now,
                    )
                )
                matched += result.rowcount  # type: ignore[attr-defined]
        return matched


_STATE_FIELDS = (
    "current_index",
    "position_ms",
    "loop_mode",
    "volume",
    "paused",
    "voice_channel_id",
    "text_channel_id",
    "node_label",
    "now_playing_message_id",
    "effects",
)


# Each StoredTrack field is the QueueItem column of the same name.
_TRACK_FIELDS = tuple(f.name for f in fields(StoredTrack))
# In field order, so a row is StoredTrack's positional arguments. Plain rows, not
# ORM objects: restoring every queue at start can mean 100k+ tracks.
_TRACK_COLUMNS = tuple(getattr(QueueItem, name) for name in _TRACK_FIELDS)
_EMPTY_QUEUE_STATE = {name: getattr(QueueSnapshot(guild_id=0), name) for name in _STATE_FIELDS}


def _item_values(guild_id: int, position: int, track: StoredTrack) -> dict[str, object]:
    values: dict[str, object] = {name: storable(getattr(track, name)) for name in _TRACK_FIELDS}
    values.update(guild_id=guild_id, position=position)
    return values


def _snapshot(queue: Queue, tracks: Iterable[StoredTrack]) -> QueueSnapshot:
    state = {name: getattr(queue, name) for name in _STATE_FIELDS}
    state["effects"] = list(state["effects"] or ())  # NULL: saved before effects were kept
    return QueueSnapshot(guild_id=queue.guild_id, tracks=list(tracks), **state)
