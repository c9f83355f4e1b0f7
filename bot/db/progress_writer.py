"""Coalesced writes of playback progress: at most one per guild per interval.

The audio side reports the position every second or so (and on every pause,
seek and track change); writing each report would keep SQLite busy for
nothing. ``note()`` only remembers the latest value per guild; a background
task writes what is pending once per interval, and ``close()`` writes the rest.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from typing import Protocol

from loguru import logger

from bot.db.errors import DB_UNAVAILABLE_ERRORS, is_unreachable
from bot.db.queue_store import PlaybackProgress

__all__ = ["ProgressSink", "ProgressWriter"]


class ProgressSink(Protocol):
    """Where progress goes; ``QueueStore`` is one."""

    async def update_progress_many(self, updates: Sequence[PlaybackProgress]) -> int:
        """Store the updates in one transaction."""
        ...


class ProgressWriter:
    """Remembers the latest progress per guild and writes it at most once per ``interval``.

    A failed write keeps the values pending (one per guild, newer notes win)
    and is retried on the next tick.
    """

    def __init__(self, store: ProgressSink, interval: float = 1.0) -> None:
        if interval <= 0:
            raise ValueError("interval must be positive")
        self._store = store
        self.interval = interval
        self._pending: dict[int, PlaybackProgress] = {}
        self._writing: dict[int, PlaybackProgress] = {}
        self._wake = asyncio.Event()
        self._write_lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self._closed = False

    @property
    def pending_count(self) -> int:
        """How many guilds have progress not yet written."""
        return len(self._pending)

    def note(self, guild_id: int, current_index: int, position_ms: int, paused: bool) -> None:
        """Remember the guild's progress; cheap, never blocks, never touches the database."""
        if self._closed:
            logger.warning("Progress for guild {} noted after ProgressWriter.close()", guild_id)
            return
        self._pending[guild_id] = PlaybackProgress(guild_id, current_index, position_ms, paused)
        self._wake.set()
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="progress-writer")

    def discard(self, guild_id: int) -> None:
        """Drop the guild's pending progress, e.g. before saving a new snapshot or deleting it."""
        self._pending.pop(guild_id, None)
        # Also out of a write in progress, so a failed write does not bring it back.
        self._writing.pop(guild_id, None)

    async def flush(self) -> None:
        """Write everything pending now; a database failure leaves it pending and is logged."""
        async with self._write_lock:
            if not self._pending:
                return
            batch = self._writing = self._pending
            self._pending = {}
            try:
                await self._store.update_progress_many(list(batch.values()))
            except DB_UNAVAILABLE_ERRORS as exc:
                self._requeue(batch)
                # The database's circuit breaker reports an outage once; this would repeat.
                log = logger.debug if is_unreachable(exc) else logger.warning
                log(
                    "Could not store playback progress of {} guild(s), will retry: {}",
                    len(batch),
                    type(exc).__name__,
                )
            except BaseException:
                self._requeue(batch)
                raise
            finally:
                self._writing = {}

    async def close(self) -> None:
        """Stop the background task and write what is pending."""
        self._closed = True
        if self._task is not None:
            # Under the lock the task is waiting or sleeping, never halfway through a write.
            async with self._write_lock:
                self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self.flush()

    def abandon(self) -> None:
        """Stop without writing what is pending, as if the process died (crash simulations)."""
        self._closed = True
        self._pending.clear()
        if self._task is not None:
            self._task.cancel()
            self._task = None

    def _requeue(self, batch: dict[int, PlaybackProgress]) -> None:
        # Notes that arrived during the failed write are newer: they win.
        self._pending = {**batch, **self._pending}
        self._wake.set()

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            # Sleep first: the notes of this interval coalesce into one write.
            await asyncio.sleep(self.interval)
            self._wake.clear()
            try:
                await self.flush()
            except Exception:
                logger.exception("Unexpected error while storing playback progress")
