"""Putting players back where they were: after a restart, a voice reconnect or a lost node.

After a restart every saved guild is marked `rebuild_pending` and rejoins
voice in the background, all guilds at once as far as each shard's gateway
budget allows (one op 4 per guild), retried with backoff when a join fails.

A lost node's players are marked `rebuild_pending` with their position noted,
each guild is told once, and one background pass rebuilds them on a healthy
node (another one, or the same one once it is back) from the voice state the
bot kept, without leaving voice (see `node_failover`), playing the same track
from the same position with the same volume, pause state and effects. Only
when that voice state is missing or the node refuses it does the bot leave
and rejoin. If no node can take them, they wait for the next `schedule()` (a
node coming up).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from typing import TYPE_CHECKING

import mafic
from loguru import logger

from bot.bus import Channel
from bot.errors import ServiceUnavailable, UserError
from bot.events import NodeLost
from bot.playback import node_failover
from bot.playback.loader import track_to_mafic
from bot.playback.session import GuildSession

if TYPE_CHECKING:
    from bot.playback.service import PlaybackService


FIRST_RETRY_DELAY = 1.0
MAX_RETRY_DELAY = 30.0


class PlayerRecovery:
    """Restores and rebuilds players for the playback service."""

    def __init__(self, service: PlaybackService) -> None:
        self.service = service
        self._task: asyncio.Task[None] | None = None

    async def restore(self, session: GuildSession) -> None:
        """Join the session's channel and continue its track at its position (caller holds the
        session's lock)."""
        service = self.service
        track = session.queue.current
        if session.voice_channel_id is None or track is None:
            return
        player = await service.voice.connect(session.guild_id, session.voice_channel_id)
        await service.effects.on_new_player(session, player)  # filters, SponsorBlock: before play
        position = session.position_ms if track.is_seekable and not track.is_stream else 0
        await player.play(
            track_to_mafic(track),
            start_time=position or None,
            volume=session.volume,
            pause=session.paused,
            replace=True,
        )
        session.set_position(position, service.clock())
        await service.changed(session, "resumed")

    async def reconnect_voice(self, guild_id: int) -> None:
        """Discord invalidated the voice session (4006): leave and rejoin, keep playing."""
        service = self.service
        session = service.sessions.get(guild_id)
        if session is None:
            return
        async with session.lock:
            now = service.clock()
            session.set_position(session.live_position(now), now)
            await service.voice.disconnect(guild_id)
            try:
                await self.restore(session)
            except UserError as exc:
                logger.warning("could not rejoin voice in guild {}: {}", guild_id, exc)
                await service.teardown(session, "disconnected")

    async def on_node_lost(self, label: str) -> None:
        """A node lost its players: note where each was, tell each guild once, rebuild."""
        service = self.service
        now = service.clock()
        for guild_id, session in list(service.sessions.items()):
            if session.queue.current is None or service.voice.node_label(guild_id) != label:
                continue
            player = service.voice.player(guild_id)
            if player is not None:
                node_failover.detach(player)  # mafic's resync must not make it leave voice
            if session.rebuild_pending:
                continue  # a command already found the node gone; told and scheduled then
            session.set_position(session.live_position(now), now)
            session.rebuild_pending = True
            await service.bus.publish(
                Channel.TO_DISCORD,
                NodeLost(guild_id=guild_id, text_channel_id=session.text_channel_id),
            )
        self.schedule()

    def mark_lost(self, session: GuildSession) -> None:
        """The session's player failed with its node: rebuild it (caller holds the lock)."""
        if not session.rebuild_pending:
            session.rebuild_pending = True
            self.schedule()

    def schedule(self) -> None:
        """Rebuild waiting players in the background (one pass at a time)."""
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self.rebuild_pending(), name="rebuild")

    async def rebuild_pending(self) -> None:
        """Put every player that lost its node back on a healthy one, where it was.

        Each pass rebuilds the waiting guilds concurrently; a guild that has to
        join voice first waits for a slot in its shard's gateway budget. Guilds
        that fail (no node yet, a voice join that timed out) are retried with
        backoff, up to `MAX_RETRY_DELAY` between passes, until they are back or
        no node is left (a node coming up schedules the next pass).
        """
        delay = FIRST_RETRY_DELAY
        while any(s.rebuild_pending for s in self.service.sessions.values()):
            if not self.service.voice.has_node():
                return  # they wait for the next node to come up
            pending = [s for s in self.service.sessions.values() if s.rebuild_pending]
            await asyncio.gather(*(self._rebuild(session) for session in pending))
            if any(s.rebuild_pending for s in self.service.sessions.values()):
                await asyncio.sleep(delay * random.uniform(0.8, 1.2))
                delay = min(delay * 2, MAX_RETRY_DELAY)

    async def _rebuild(self, session: GuildSession) -> None:
        service = self.service
        if service.voice.player(session.guild_id) is None:
            # It must join voice: wait for the gateway outside the lock, so the guild's
            # commands meanwhile get a quick "reconnecting" instead of waiting for it.
            await service.voice.join_slot(session.guild_id)
        async with session.lock:
            if not session.rebuild_pending or not service.voice.has_node():
                return
            try:
                if not await self._move(session):
                    await service.voice.disconnect(session.guild_id)
                    await self.restore(session)
            except ServiceUnavailable as exc:
                logger.warning("rebuild of guild {} must wait: {}", session.guild_id, exc)
                return
            except UserError as exc:
                logger.warning("cannot rebuild guild {}: {}", session.guild_id, exc)
                await service.teardown(session, "disconnected")
                return
            except Exception as exc:  # the node failed again: the next pass retries
                logger.warning("rebuild of guild {} failed ({}); retrying", session.guild_id,
                               type(exc).__name__)
                return
            session.rebuild_pending = False
            logger.info("rebuilt the player of guild {}", session.guild_id)

    async def _move(self, session: GuildSession) -> bool:
        """Recreate the player on a healthy node from its kept voice state, where it was.

        False (the caller leaves and rejoins) when the bot is not in voice, the
        voice state is incomplete or the node refuses it; a node failing raises.
        """
        service = self.service
        track = session.queue.current
        player = service.voice.player(session.guild_id)
        node = node_failover.healthy_node()
        voice = node_failover.voice_state(player) if player is not None else None
        if track is None or player is None or node is None or voice is None:
            return False
        if service.voice.bot_channel(session.guild_id) is None:
            return False
        position = session.position_ms if track.is_seekable and not track.is_stream else 0
        try:
            await node_failover.move_player(player, node, voice)
            await service.effects.on_new_player(session, player)  # SponsorBlock: before play
            await node_failover.update_with_voice(
                player,
                voice,
                {
                    "encodedTrack": track_to_mafic(track).id,
                    "position": position,
                    "volume": session.volume,
                    "paused": session.paused,
                    "filters": session.effects.payload(),
                },
            )
        except mafic.HTTPBadRequest as exc:
            logger.warning("node {} refused guild {}'s voice state ({}); rejoining",
                           node.label, session.guild_id, exc)
            return False
        session.set_position(position, service.clock())
        await service.changed(session, "resumed")
        return True

    async def close(self) -> None:
        """Stop a rebuild in progress."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
