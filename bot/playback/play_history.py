"""Recording what each guild played (for /history and autoplay), off the playback path."""

from __future__ import annotations

import asyncio
from typing import Any

from loguru import logger

from bot import audio_commands as ac
from bot.db.history import HistoryStore, PlayedTrack
from bot.music.track import QueuedTrack


class PlayRecorder:
    """Writes one history row per track start in the background; best effort by design."""

    def __init__(self, store: HistoryStore | None) -> None:
        self.store = store
        self._pending: set[asyncio.Task[Any]] = set()

    def record(self, guild_id: int, track: QueuedTrack) -> None:
        """Note that `track` started in the guild (returns at once)."""
        if self.store is None:
            return
        played = PlayedTrack(
            guild_id=guild_id,
            encoded=track.encoded,
            title=track.title,
            author=track.author,
            uri=track.uri,
            identifier=track.identifier or None,
            source=track.source or None,
            requester_id=track.requester_id,
            length_ms=0 if track.is_stream else track.length_ms,
            is_autoplay=track.is_autoplay,
        )
        task = asyncio.create_task(self._store(self.store, played), name=f"history:{guild_id}")
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    @staticmethod
    async def _store(store: HistoryStore, played: PlayedTrack) -> None:
        try:
            await store.add(played)
        except Exception as exc:  # history is best effort: playback must not suffer
            logger.warning("could not record play history: {}", exc)

    async def recent(self, command: ac.ShowHistory) -> ac.HistoryPage:
        """Recently played tracks of the guild, newest first."""
        if self.store is None:
            return ac.HistoryPage()
        played = await self.store.recent(command.guild_id, limit=command.limit)
        return ac.HistoryPage(
            tuple(
                QueuedTrack(
                    encoded=p.encoded,
                    title=p.title,
                    author=p.author,
                    length_ms=0,
                    uri=p.uri,
                    requester_id=p.requester_id or 0,
                    identifier=p.identifier or "",
                    source=p.source or "",
                    added_at=p.played_at,
                )
                for p in played
            )
        )

    async def settle(self, timeout: float = 5.0) -> None:
        """Wait for writes in flight."""
        if self._pending:
            await asyncio.wait(set(self._pending), timeout=timeout)
