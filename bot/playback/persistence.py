"""Saving playback state so a restart resumes where it stopped.

Policy: a change to a guild's queue (add, skip, loop, volume, …) marks the
guild dirty; a background task saves the latest snapshot of each dirty guild
at most once per `interval` seconds. Position reports (every few seconds from
Lavalink) go through the `ProgressWriter`, which coalesces the same way.
`close()` saves everything pending. A failed save keeps the guild dirty and is
retried on the next tick, so a database hiccup loses nothing the process
still holds.

During an outage (the database's circuit breaker is open) each tick fails at
once without touching the network, and a pass stops at the first failure;
the breaker logs the outage once, and `db_pending_writes{kind="queue"|"progress"}`
shows what waits. Memory stays bounded: at most one pending snapshot per guild,
and it is the live session itself, read when the save finally runs, so the
database gets the latest state, never an outdated one. Only a process that
dies before the database answers again loses what was pending.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable

from loguru import logger

from bot.db.errors import is_unreachable
from bot.db.metrics import METRICS, PersistenceMetrics
from bot.db.progress_writer import ProgressWriter
from bot.db.queue_store import QueueSnapshot, QueueStore, StoredTrack
from bot.music.filters import EffectChain
from bot.music.queue import LoopMode, TrackQueue
from bot.music.track import QueuedTrack
from bot.playback.session import GuildSession


def to_stored(track: QueuedTrack) -> StoredTrack:
    """Our track as the database keeps it."""
    return StoredTrack(
        encoded=track.encoded,
        title=track.title,
        author=track.author,
        length_ms=track.length_ms,
        requester_id=track.requester_id,
        uri=track.uri,
        source=track.source or None,
        is_autoplay=track.is_autoplay,
        added_at=track.added_at,
        identifier=track.identifier,
        artwork_url=track.artwork_url,
        is_stream=track.is_stream,
        is_seekable=track.is_seekable,
    )


def from_stored(track: StoredTrack) -> QueuedTrack:
    """A stored track back as a queue entry."""
    return QueuedTrack(
        encoded=track.encoded,
        title=track.title,
        author=track.author,
        length_ms=track.length_ms,
        uri=track.uri,
        requester_id=track.requester_id,
        source=track.source or "",
        is_autoplay=track.is_autoplay,
        added_at=track.added_at,
        identifier=track.identifier,
        artwork_url=track.artwork_url,
        is_stream=track.is_stream,
        is_seekable=track.is_seekable,
    )


def snapshot_of(session: GuildSession, now: float) -> QueueSnapshot:
    """The session as a snapshot: current track first (index 0), or index -1 when idle."""
    queue = session.queue
    tracks = ([queue.current] if queue.current else []) + queue.upcoming
    return QueueSnapshot(
        guild_id=session.guild_id,
        tracks=[to_stored(t) for t in tracks],
        current_index=0 if queue.current else -1,
        position_ms=session.live_position(now),
        loop_mode=queue.loop.value,
        volume=session.volume,
        paused=session.paused,
        voice_channel_id=session.voice_channel_id,
        text_channel_id=session.text_channel_id,
        now_playing_message_id=session.now_playing_message_id,
        effects=session.effects.to_data(),
    )


def session_from(snapshot: QueueSnapshot) -> GuildSession:
    """Rebuild a session from its snapshot (the position is set by the caller)."""
    tracks = [from_stored(t) for t in snapshot.tracks]
    current = tracks[0] if snapshot.current_index == 0 and tracks else None
    upcoming = tracks[1:] if current else tracks
    return GuildSession(
        guild_id=snapshot.guild_id,
        queue=TrackQueue(upcoming, current=current, loop=LoopMode(snapshot.loop_mode)),
        volume=snapshot.volume,
        paused=snapshot.paused,
        voice_channel_id=snapshot.voice_channel_id,
        text_channel_id=snapshot.text_channel_id,
        now_playing_message_id=snapshot.now_playing_message_id,
        effects=EffectChain.from_data(snapshot.effects),
        position_ms=snapshot.position_ms,
    )


class PlaybackPersistence:
    """Coalesced snapshot saves plus coalesced progress writes."""

    def __init__(
        self,
        store: QueueStore,
        *,
        interval: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        metrics: PersistenceMetrics = METRICS,
    ) -> None:
        self.store = store
        self.interval = interval
        self.progress = ProgressWriter(store, interval=interval)
        self._clock = clock
        self._metrics = metrics
        self._dirty: dict[int, GuildSession] = {}
        self._deleted: set[int] = set()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @property
    def pending_count(self) -> int:
        """Queue saves and deletes not written yet."""
        return len(self._dirty) + len(self._deleted)

    def start(self) -> None:
        """Start the background saver and report what it holds."""
        self._metrics.pending_writes.labels("queue").set_function(lambda: self.pending_count)
        self._metrics.pending_writes.labels("progress").set_function(
            lambda: self.progress.pending_count
        )
        self._task = asyncio.create_task(self._run(), name="playback-persistence")

    def changed(self, session: GuildSession) -> None:
        """The session's queue or settings changed: save it soon."""
        self._deleted.discard(session.guild_id)
        # The snapshot carries the position; an older pending progress write must not
        # land after it and undo a change of the current track.
        self.progress.discard(session.guild_id)
        self._dirty[session.guild_id] = session
        self._wake.set()

    def moved(self, session: GuildSession) -> None:
        """Only the position changed: coalesced progress write."""
        if session.guild_id in self._dirty:
            return
        self.progress.note(
            session.guild_id,
            0 if session.queue.current else -1,
            session.live_position(self._clock()),
            session.paused,
        )

    def forget(self, guild_id: int) -> None:
        """The guild has nothing to resume: delete its stored queue soon."""
        self._dirty.pop(guild_id, None)
        self.progress.discard(guild_id)
        self._deleted.add(guild_id)
        self._wake.set()

    async def load_all(self) -> list[QueueSnapshot]:
        """Every stored snapshot (for resume at start)."""
        return await self.store.load_all()

    async def flush(self) -> None:
        """Save everything pending now; stop at the first sign the database is unreachable."""
        for guild_id in list(self._deleted):
            try:
                await self.store.delete(guild_id)
            except Exception as exc:
                if _failed(exc, "delete the saved queue", guild_id):
                    return
                continue
            self._deleted.discard(guild_id)
        for guild_id in list(self._dirty):
            # Popped before saving: a change made while the save runs marks it dirty again.
            session = self._dirty.pop(guild_id)
            try:
                await self.store.save_snapshot(snapshot_of(session, self._clock()))
            except asyncio.CancelledError:
                # close() cancels a background save in flight: its final flush redoes it.
                self._dirty.setdefault(guild_id, session)
                raise
            except Exception as exc:
                self._dirty.setdefault(guild_id, session)
                if _failed(exc, "save the queue", guild_id):
                    return
        await self.progress.flush()

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            try:
                await self.flush()
            except Exception:
                logger.exception("unexpected error while saving playback state")
            if self._dirty or self._deleted:
                self._wake.set()
            await asyncio.sleep(self.interval)

    def abandon(self) -> None:
        """Drop everything pending and stop saving (a crash, for tests of resume)."""
        if self._task is not None:
            self._task.cancel()
            self._task = None
        self._dirty.clear()
        self._deleted.clear()
        self.progress.abandon()
        self._stop_reporting()

    async def close(self) -> None:
        """Stop the saver and save everything pending."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self.flush()
        await self.progress.close()
        lost = self.pending_count + self.progress.pending_count
        if lost:
            logger.error("stopping with {} unsaved playback change(s): the database is down", lost)
        self._stop_reporting()

    def _stop_reporting(self) -> None:
        for kind in ("queue", "progress"):
            self._metrics.pending_writes.labels(kind).set_function(lambda: 0)


def _failed(exc: Exception, what: str, guild_id: int) -> bool:
    """Log a failed write; True when the database is unreachable (the pass should stop)."""
    if is_unreachable(exc):
        # The database's circuit breaker logs the outage once; this would repeat every tick.
        logger.debug("could not {} of guild {}: database unreachable", what, guild_id)
        return True
    logger.opt(exception=exc).warning("could not {} of guild {}; will retry", what, guild_id)
    return False
