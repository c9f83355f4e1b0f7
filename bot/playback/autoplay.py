"""The autoplay hook: when a guild's queue runs out, queue one related track.

`PlaybackService.start_next` calls `AutoplayFiller.fill` under the guild's lock
when nothing is left to play. The filler reads the guild's mode, loads the
lookups of `bot.music.autoplay` through the `TrackLoader` (search cache,
quality ranking and link checks included) and queues the first fresh pick,
marked `is_autoplay`. One track per fill keeps the guild's own requests first
in line; the search cache makes the next fill from the same radio mix free.
"""

from __future__ import annotations

import asyncio
import dataclasses
import random
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from loguru import logger

from bot import audio_commands as ac
from bot.db.errors import DB_UNAVAILABLE_ERRORS
from bot.errors import UserError
from bot.music.autoplay import (
    AutoplayMode,
    Lookup,
    Playable,
    RecentTracks,
    lookups,
    mode_order,
    pick,
)
from bot.music.source_policy import SourceNotAllowed, SourcePolicy
from bot.music.track import QueuedTrack
from bot.playback.loader import LoadFailed, NothingFound, TrackLoader
from bot.playback.ports import GuildPolicy
from bot.playback.session import GuildSession

if TYPE_CHECKING:
    from bot.playback.service import PlaybackService

FILL_TIMEOUT = 8.0
"""Longest a fill may hold the guild's lock; after it the queue simply ends."""


class AutoplayFiller:
    """Finds and queues the next autoplay track of a guild whose queue ran out."""

    def __init__(
        self,
        service: PlaybackService,
        *,
        recent_window: Callable[[], int],
        rng: random.Random | None = None,
    ) -> None:
        self.service = service
        self.rng = rng or random.Random()
        # How many of the guild's last plays are never repeated (`limits.autoplay_recent_window`).
        self.recent_window = recent_window

    async def fill(self, session: GuildSession) -> bool:
        """Queue one autoplay track; False (and nothing queued) when autoplay is off,
        nobody is listening, or nothing fresh was found."""
        if not session.queue.history or not self._listening(session.guild_id):
            return False
        policy = await self.service.policy(session.guild_id)
        mode = AutoplayMode(policy.autoplay_mode)
        if mode is AutoplayMode.OFF:
            return False
        seed = session.queue.history[-1]
        try:
            async with asyncio.timeout(FILL_TIMEOUT):
                track = await self._find(session, mode, seed, policy)
        except (UserError, TimeoutError) as exc:
            logger.info("autoplay gave up in guild {}: {!r}", session.guild_id, exc)
            return False
        except Exception:  # autoplay is a bonus: the end of the queue must still work
            logger.exception("autoplay failed in guild {}", session.guild_id)
            return False
        if track is None:
            logger.info("autoplay ({}) found nothing fresh in guild {}", mode, session.guild_id)
            return False
        track = dataclasses.replace(
            track, is_autoplay=True, requester_id=seed.requester_id, added_at=datetime.now(UTC)
        )
        session.queue.add([track], limit=max(policy.max_queue_length, 1))
        logger.info("autoplay ({}) queued {!r} in guild {}", mode, track.title, session.guild_id)
        return True

    async def changed(self, command: ac.AutoplayChanged) -> bool:
        """The guild's mode changed: a guild idle in voice after its queue ended starts
        autoplay now. Returns whether it started."""
        session = self.service.sessions.get(command.guild_id)
        if session is None or session.queue.current is not None or session.queue.upcoming:
            return False
        if self.service.voice.player(command.guild_id) is None or not await self.fill(session):
            return False
        session.cancel_idle()
        return await self.service.start_next(session, finished=False)

    def _listening(self, guild_id: int) -> bool:
        voice = self.service.voice
        channel = voice.bot_channel(guild_id)
        return channel is not None and voice.listeners(guild_id, channel) > 0

    async def _find(
        self, session: GuildSession, mode: AutoplayMode, seed: QueuedTrack, policy: GuildPolicy
    ) -> QueuedTrack | None:
        history = await self._history(session)
        recent = RecentTracks(history)
        limit = policy.max_track_length_s
        for each in mode_order(mode, self.rng):
            for lookup in lookups(each, seed, history):
                candidates = await self._load(lookup, seed, policy)
                track = pick(
                    lookup,
                    candidates,
                    seed=seed,
                    recent=recent,
                    max_length_ms=limit * 1000 if limit is not None else None,
                )
                if track is not None:
                    return track
        return None

    async def _history(self, session: GuildSession) -> list[Playable]:
        """The guild's recent plays, newest first: this session's, then the stored ones."""
        window = self.recent_window()
        played: list[Playable] = list(reversed(session.queue.history[-window:]))
        store = self.service.plays.store
        if store is None:
            return played
        try:
            played += await store.recent(session.guild_id, limit=window)
        except DB_UNAVAILABLE_ERRORS as exc:
            logger.info("autoplay without stored history in guild {}: {}", session.guild_id, exc)
        return played

    async def _load(
        self, lookup: Lookup, seed: QueuedTrack, policy: GuildPolicy
    ) -> list[QueuedTrack]:
        sources = SourcePolicy(policy.allowed_sources)
        try:
            sources.check_query(lookup.query, None, policy.default_source)
        except SourceNotAllowed:
            return []
        loader: TrackLoader = self.service.loader
        try:
            loaded = await loader.load(
                lookup.query,
                requester_id=seed.requester_id,
                default_source=policy.default_source,
            )
        except (NothingFound, LoadFailed) as exc:
            logger.debug("autoplay lookup {!r} gave nothing: {}", lookup.query, exc)
            return []
        return [t for t in loaded.tracks if sources.allows_track_source(t.source)]
