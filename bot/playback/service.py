"""The audio side's brain: one `GuildSession` per guild, changed by commands and Lavalink events.

Every change to a guild happens under that guild's lock, so a button press, a
slash command and a track ending at the same moment are applied one after
the other. Each change publishes the new now-playing state on
`discord-bot:ui:now` and marks the guild for saving.

Track transitions: the bot starts the next track itself when it skips (the
old track then ends with reason `replaced`, which is ignored) and when it
stops (`stopped`, ignored). Only `finished` and `loadFailed` advance the
queue from an event, so no transition is ever applied twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

import mafic
from loguru import logger

from bot import audio_commands as ac
from bot.bus import Channel, EventBus
from bot.db.history import HistoryStore, PlayedTrack
from bot.errors import NothingPlaying, NotInVoice, ServiceUnavailable, UserError
from bot.events import NodeLost, QueueEnded, TrackFailed
from bot.messages import NowPlayingUpdate
from bot.music.queue import LoopMode
from bot.music.timefmt import format_duration
from bot.music.track import QueuedTrack
from bot.playback.loader import TrackLoader, track_to_mafic
from bot.playback.persistence import PlaybackPersistence
from bot.playback.session import GuildSession

MAX_FAILURES_IN_A_ROW = 3
LOOP_CYCLE = {LoopMode.OFF: LoopMode.TRACK, LoopMode.TRACK: LoopMode.QUEUE}


class GuildPolicy(Protocol):
    """What the service needs to know of a guild's settings."""

    default_volume: int
    max_queue_length: int
    max_track_length_s: int | None
    default_source: str
    stay_247: bool


class VoicePort(Protocol):
    """The Discord side of voice, implemented by the audio cog with discord.py."""

    def player(self, guild_id: int) -> mafic.Player[Any] | None:
        """The guild's connected player, if any."""

    def bot_channel(self, guild_id: int) -> int | None:
        """The voice channel the bot is in."""

    def listeners(self, guild_id: int, channel_id: int) -> int:
        """How many humans are in the channel."""

    def node_label(self, guild_id: int) -> str | None:
        """The Lavalink node the guild's player is on."""

    def has_node(self) -> bool:
        """Whether any Lavalink node can take a player now."""

    async def connect(self, guild_id: int, channel_id: int) -> mafic.Player[Any]:
        """Join (or move to) the channel; raises UserError when the bot may not."""

    async def disconnect(self, guild_id: int) -> None:
        """Leave voice in the guild."""


class PlaybackService:
    """Applies commands and Lavalink events to guild sessions."""

    def __init__(
        self,
        *,
        bus: EventBus,
        voice: VoicePort,
        loader: TrackLoader,
        policy: Callable[[int], Awaitable[GuildPolicy]],
        persistence: PlaybackPersistence | None,
        history: HistoryStore | None,
        idle_timeout: Callable[[], float],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.bus = bus
        self.voice = voice
        self.loader = loader
        self.policy = policy
        self.persistence = persistence
        self.history = history
        self._background: set[asyncio.Task[Any]] = set()
        self._rebuild_task: asyncio.Task[None] | None = None
        self.idle_timeout = idle_timeout
        self.clock = clock
        self.sessions: dict[int, GuildSession] = {}
        # Set once saved playback has been resumed (or there was nothing to resume);
        # commands wait for it so they never race the resume of their guild.
        self.ready = asyncio.Event()
        self.ready_timeout = 3.0
        self._handlers: dict[type, Callable[[Any], Awaitable[Any]]] = {
            ac.Play: self.play,
            ac.Pause: lambda c: self.set_paused(c, True),
            ac.Resume: lambda c: self.set_paused(c, False),
            ac.TogglePause: lambda c: self.set_paused(c, None),
            ac.Skip: self.skip,
            ac.Previous: self.previous,
            ac.Stop: self.stop,
            ac.Leave: self.leave,
            ac.Seek: self.seek,
            ac.SetVolume: self.set_volume,
            ac.SetLoop: self.set_loop,
            ac.Shuffle: self.shuffle,
            ac.Remove: self.remove,
            ac.Move: self.move,
            ac.Clear: self.clear,
            ac.ShowQueue: self.show_queue,
            ac.ShowNowPlaying: self.show_now_playing,
            ac.AttachNowPlaying: self.attach_message,
        }

    # -- dispatch -------------------------------------------------------------

    async def handle(self, command: Any) -> Any:
        """Run one command under its guild's lock (read-only lookups skip the lock)."""
        if not self.ready.is_set():
            try:
                await asyncio.wait_for(self.ready.wait(), self.ready_timeout)
            except TimeoutError:
                raise ServiceUnavailable(
                    "I'm still starting up: no music server is connected yet. "
                    "Try again in a moment."
                ) from None
        if isinstance(command, ac.Search):
            return await self.search(command)
        if isinstance(command, ac.ShowHistory):
            return await self.show_history(command)
        handler = self._handlers.get(type(command))
        if handler is None:
            raise TypeError(f"the audio side does not handle {type(command).__name__}")
        session = self.session(command.guild_id)
        async with session.lock:
            return await handler(command)

    def session(self, guild_id: int) -> GuildSession:
        """The guild's session, created empty on first use."""
        session = self.sessions.get(guild_id)
        if session is None:
            session = self.sessions[guild_id] = GuildSession(guild_id)
        return session

    # -- checks ---------------------------------------------------------------

    def _require_same_channel(self, command: ac.VoiceCommand) -> GuildSession:
        session = self.session(command.guild_id)
        bot_channel = self.voice.bot_channel(command.guild_id)
        if command.voice_channel_id is None:
            raise NotInVoice()
        if bot_channel is not None and bot_channel != command.voice_channel_id:
            raise UserError(f"You need to be in my voice channel, <#{bot_channel}>.")
        return session

    def _require_playing(self, command: ac.VoiceCommand) -> tuple[GuildSession, mafic.Player[Any]]:
        session = self._require_same_channel(command)
        player = self.voice.player(command.guild_id)
        if session.queue.current is None or player is None:
            raise NothingPlaying()
        return session, player

    # -- play -----------------------------------------------------------------

    async def play(self, command: ac.Play) -> ac.PlayResult:
        """Load the query, queue what it found, join and start if idle."""
        if command.voice_channel_id is None:
            raise NotInVoice()
        session = self.session(command.guild_id)
        bot_channel = self.voice.bot_channel(command.guild_id)
        busy_elsewhere = (
            bot_channel is not None
            and bot_channel != command.voice_channel_id
            and session.queue.current is not None
            and self.voice.listeners(command.guild_id, bot_channel) > 0
        )
        if busy_elsewhere:
            raise UserError(f"I'm playing in <#{bot_channel}> right now. Join me there.")
        policy = await self.policy(command.guild_id)
        loaded = await self.loader.load(
            command.query,
            source=command.source,
            default_source=policy.default_source,
            requester_id=command.user_id,
        )
        tracks = loaded.tracks[:1] if loaded.is_search else loaded.tracks
        tracks = self._within_length_limit(tracks, policy)
        if session.queue.current is None and not session.queue.upcoming:
            session.volume = session.volume if session.voice_channel_id else policy.default_volume
        added = session.queue.add(tracks, limit=policy.max_queue_length, next_up=command.next_up)
        if bot_channel != command.voice_channel_id or self.voice.player(command.guild_id) is None:
            await self.voice.connect(command.guild_id, command.voice_channel_id)
        session.voice_channel_id = command.voice_channel_id
        session.text_channel_id = session.text_channel_id or command.channel_id
        session.cancel_idle()
        started = False
        if session.queue.current is None:
            started = await self._start_next(session, finished=False)
        else:
            await self._changed(session, "queued")
        return ac.PlayResult(
            tracks=tuple(tracks[: added.added]),
            playlist=loaded.playlist,
            started=started,
            position=0 if started else added.first_position,
            dropped=added.dropped,
        )

    @staticmethod
    def _within_length_limit(tracks: list[QueuedTrack], policy: GuildPolicy) -> list[QueuedTrack]:
        limit = policy.max_track_length_s
        if limit is None:
            return tracks
        kept = [t for t in tracks if t.is_stream or t.length_ms <= limit * 1000]
        if not kept:
            raise UserError(
                f"That track is longer than this server's limit of {format_duration(limit * 1000)}."
            )
        return kept

    async def _start_next(self, session: GuildSession, *, finished: bool) -> bool:
        """Advance the queue and play; on the end of the queue, stop and schedule idle."""
        while True:
            track = session.queue.advance(finished=finished)
            player = self.voice.player(session.guild_id)
            if track is None or player is None:
                if player is not None:
                    await player.stop()
                session.set_position(0, self.clock())
                await self._changed(session, "queue_end")
                await self.bus.publish(
                    Channel.TO_DISCORD,
                    QueueEnded(guild_id=session.guild_id, text_channel_id=session.text_channel_id),
                )
                self._schedule_idle(session)
                return False
            try:
                await player.play(
                    track_to_mafic(track), volume=session.volume, pause=session.paused, replace=True
                )
            except mafic.HTTPException as exc:
                logger.warning("Lavalink refused to play {!r}: {}", track.title, exc)
                await self._failed(session, track, "The music server could not play it.")
                if session.failures_in_a_row >= MAX_FAILURES_IN_A_ROW:
                    return False
                finished = False
                continue
            session.set_position(0, self.clock())
            self._record_play(session.guild_id, track)
            await self._changed(session, "track_start")
            return True

    # -- controls -------------------------------------------------------------

    async def set_paused(self, command: ac.VoiceCommand, paused: bool | None) -> ac.Done:
        """Pause, resume or toggle."""
        session, player = self._require_playing(command)
        target = (not session.paused) if paused is None else paused
        if target == session.paused:
            return ac.Done("Already paused." if target else "Already playing.")
        session.set_position(session.live_position(self.clock()), self.clock())
        await player.pause(target)
        session.paused = target
        await self._changed(session, "paused" if target else "resumed")
        return ac.Done("Paused." if target else "Resumed.")

    async def skip(self, command: ac.Skip) -> ac.Done:
        """Skip the current track, or to an upcoming position."""
        session, _player = self._require_playing(command)
        skipped = session.queue.current
        if command.to is not None:
            target = session.queue.skip_to(command.to)
            # skip_to made `target` current; step back so _start_next lands on it.
            session.queue.upcoming.insert(0, target)
            session.queue.current = None
        session.failures_in_a_row = 0
        await self._start_next(session, finished=False)
        title = skipped.title if skipped else "the track"
        return ac.Done(f"Skipped **{title}**.")

    async def previous(self, command: ac.Previous) -> ac.Done:
        """Play the previous track again."""
        session = self._require_same_channel(command)
        player = self.voice.player(command.guild_id)
        if player is None:
            raise NothingPlaying()
        track = session.queue.previous()
        if track is None:
            raise UserError("There is no previous track.")
        session.queue.upcoming.insert(0, track)
        session.queue.current = None
        await self._start_next(session, finished=False)
        return ac.Done(f"Playing **{track.title}** again.")

    async def stop(self, command: ac.VoiceCommand) -> ac.Done:
        """Stop and clear the queue; stay in the channel until idle."""
        session, player = self._require_playing(command)
        session.queue.stop()
        session.paused = False
        await player.stop()
        session.set_position(0, self.clock())
        await self._changed(session, "stopped")
        self._schedule_idle(session)
        return ac.Done("Stopped and cleared the queue.")

    async def leave(self, command: ac.VoiceCommand) -> ac.Done:
        """Stop, clear and leave voice."""
        self._require_same_channel(command)
        if self.voice.bot_channel(command.guild_id) is None:
            raise UserError("I'm not in a voice channel.")
        await self._teardown(self.session(command.guild_id), "left")
        return ac.Done("Left the voice channel.")

    async def seek(self, command: ac.Seek) -> ac.Done:
        """Move within the current track."""
        session, player = self._require_playing(command)
        track = session.queue.current
        assert track is not None
        if track.is_stream or not track.is_seekable:
            raise UserError("This track can't be seeked.")
        position = command.target.resolve(session.live_position(self.clock()), track.length_ms)
        await player.seek(position)
        session.set_position(position, self.clock())
        await self._changed(session, "seek")
        return ac.Done(f"Jumped to {format_duration(position) if position else '0:00'}.")

    async def set_volume(self, command: ac.SetVolume) -> ac.Done:
        """Set the volume (0–200 %, Lavalink's 100 is 100 %)."""
        if not 0 <= command.level <= 200:
            raise UserError("Volume goes from 0 to 200.")
        session = self._require_same_channel(command)
        player = self.voice.player(command.guild_id)
        if player is not None:
            await player.set_volume(command.level)
        session.volume = command.level
        await self._changed(session, "volume")
        return ac.Done(f"Volume set to {command.level}%.")

    async def set_loop(self, command: ac.SetLoop) -> ac.Done:
        """Set or cycle the loop mode."""
        session = self._require_same_channel(command)
        mode = command.mode or LOOP_CYCLE.get(session.queue.loop, LoopMode.OFF)
        session.queue.loop = mode
        await self._changed(session, "loop")
        return ac.Done(f"Loop: **{mode.value}**.")

    async def shuffle(self, command: ac.VoiceCommand) -> ac.Done:
        """Shuffle the upcoming tracks."""
        session = self._require_same_channel(command)
        if len(session.queue) < 2:
            raise UserError("There is nothing to shuffle.")
        session.queue.shuffle()
        await self._changed(session, "shuffle")
        return ac.Done(f"Shuffled {len(session.queue)} tracks.")

    async def remove(self, command: ac.Remove) -> ac.Done:
        """Remove an upcoming track."""
        session = self._require_same_channel(command)
        track = session.queue.remove(command.position)
        await self._changed(session, "queue")
        return ac.Done(f"Removed **{track.title}**.")

    async def move(self, command: ac.Move) -> ac.Done:
        """Move an upcoming track."""
        session = self._require_same_channel(command)
        track = session.queue.move(command.source, command.target)
        await self._changed(session, "queue")
        return ac.Done(f"Moved **{track.title}** to position {command.target}.")

    async def clear(self, command: ac.VoiceCommand) -> ac.Done:
        """Remove every upcoming track."""
        session = self._require_same_channel(command)
        dropped = session.queue.clear()
        await self._changed(session, "queue")
        return ac.Done(f"Removed {dropped} tracks from the queue.")

    async def show_queue(self, command: ac.ShowQueue) -> ac.QueuePage:
        """A page of the queue."""
        session = self.session(command.guild_id)
        items, pages = session.queue.page(command.page)
        total = sum(t.length_ms for t in session.queue.upcoming)
        page = min(max(command.page, 1), pages)
        return ac.QueuePage(session.state(self.clock()), tuple(items), page, pages, total)

    async def show_now_playing(self, command: ac.ShowNowPlaying) -> Any:
        """The current state of the guild."""
        session = self.session(command.guild_id)
        if session.queue.current is None:
            raise NothingPlaying()
        return session.state(self.clock())

    async def search(self, command: ac.Search) -> ac.SearchResult:
        """Search results without queueing anything."""
        policy = await self.policy(command.guild_id)
        loaded = await self.loader.load(
            command.query,
            source=command.source,
            default_source=policy.default_source,
            requester_id=command.user_id,
            cached_only=command.cached_only,
        )
        return ac.SearchResult(tuple(loaded.tracks[: command.limit]))

    async def show_history(self, command: ac.ShowHistory) -> ac.HistoryPage:
        """Recently played tracks of the guild, newest first."""
        if self.history is None:
            return ac.HistoryPage()
        played = await self.history.recent(command.guild_id, limit=command.limit)
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

    def _record_play(self, guild_id: int, track: QueuedTrack) -> None:
        if self.history is None:
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
        )
        task = asyncio.create_task(self._store_play(played), name=f"history:{guild_id}")
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _store_play(self, played: PlayedTrack) -> None:
        try:
            await self.history.add(played)  # type: ignore[union-attr]
        except Exception as exc:  # history is best effort: playback must not suffer
            logger.warning("could not record play history: {}", exc)

    async def settle(self, timeout: float = 5.0) -> None:
        """Wait for history writes in flight."""
        if self._background:
            await asyncio.wait(set(self._background), timeout=timeout)

    async def close(self) -> None:
        """Cancel idle timers and rebuilds; wait for history writes in flight."""
        for session in self.sessions.values():
            session.cancel_idle()
        if self._rebuild_task is not None:
            self._rebuild_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._rebuild_task
        await self.settle()

    # -- Lavalink events ------------------------------------------------------

    async def on_track_end(self, guild_id: int, reason: str) -> None:
        """`finished` and `loadFailed` advance the queue; the others were caused by us."""
        if reason not in ("finished", "loadFailed"):
            return
        session = self.sessions.get(guild_id)
        if session is None:
            return
        async with session.lock:
            if reason == "finished":
                session.failures_in_a_row = 0
            elif session.failures_in_a_row >= MAX_FAILURES_IN_A_ROW:
                await self._give_up(session)
                return
            await self._start_next(session, finished=reason == "finished")

    async def on_track_exception(self, guild_id: int, message: str) -> None:
        """Tell the channel; the `loadFailed` end that follows moves on."""
        session = self.sessions.get(guild_id)
        if session is None or session.queue.current is None:
            return
        await self._failed(session, session.queue.current, message)

    async def on_track_stuck(self, guild_id: int) -> None:
        """A stuck track is skipped."""
        session = self.sessions.get(guild_id)
        if session is None:
            return
        async with session.lock:
            logger.info("track stuck in guild {}; skipping", guild_id)
            await self._start_next(session, finished=False)

    def on_position(self, guild_id: int, position_ms: int) -> None:
        """A `playerUpdate`: remember the position and save it (coalesced)."""
        session = self.sessions.get(guild_id)
        if session is None or session.queue.current is None:
            return
        session.set_position(position_ms, self.clock())
        if self.persistence is not None:
            self.persistence.moved(session)

    async def _failed(self, session: GuildSession, track: QueuedTrack, message: str) -> None:
        session.failures_in_a_row += 1
        await self.bus.publish(
            Channel.TO_DISCORD,
            TrackFailed(
                guild_id=session.guild_id,
                text_channel_id=session.text_channel_id,
                title=track.title,
                reason=message,
            ),
        )

    async def _give_up(self, session: GuildSession) -> None:
        logger.warning(
            "{} tracks failed in a row in guild {}; stopping",
            MAX_FAILURES_IN_A_ROW,
            session.guild_id,
        )
        session.queue.stop()
        player = self.voice.player(session.guild_id)
        if player is not None:
            await player.stop()
        session.failures_in_a_row = 0
        await self._changed(session, "stopped")
        await self.bus.publish(
            Channel.TO_DISCORD,
            QueueEnded(
                guild_id=session.guild_id,
                text_channel_id=session.text_channel_id,
                reason=f"{MAX_FAILURES_IN_A_ROW} tracks in a row failed to play, so I stopped.",
            ),
        )
        self._schedule_idle(session)

    # -- voice lifecycle ------------------------------------------------------

    def _schedule_idle(self, session: GuildSession) -> None:
        session.cancel_idle()
        session.idle_task = asyncio.create_task(
            self._idle_leave(session), name=f"idle:{session.guild_id}"
        )

    async def _idle_leave(self, session: GuildSession) -> None:
        policy = await self.policy(session.guild_id)
        if policy.stay_247:
            return
        await asyncio.sleep(self.idle_timeout())
        async with session.lock:
            session.idle_task = None
            bot_channel = self.voice.bot_channel(session.guild_id)
            listening = bot_channel is not None and self.voice.listeners(
                session.guild_id, bot_channel
            )
            if session.queue.current is not None and listening:
                return
            logger.info("leaving voice in guild {} after being idle", session.guild_id)
            await self._teardown(session, "idle")

    async def _teardown(self, session: GuildSession, reason: str) -> None:
        session.cancel_idle()
        session.queue.stop()
        session.paused = False
        await self.voice.disconnect(session.guild_id)
        session.voice_channel_id = None
        await self.bus.publish(
            Channel.UI_NOW,
            NowPlayingUpdate(guild_id=session.guild_id, reason=reason, state=None),
        )
        if self.persistence is not None:
            self.persistence.forget(session.guild_id)
        self.sessions.pop(session.guild_id, None)

    async def on_channel_listeners(self, guild_id: int) -> None:
        """Members came or went: start the idle timer when the bot is alone."""
        session = self.sessions.get(guild_id)
        bot_channel = self.voice.bot_channel(guild_id)
        if session is None or bot_channel is None:
            return
        if self.voice.listeners(guild_id, bot_channel) == 0:
            self._schedule_idle(session)
        elif session.queue.current is not None:
            session.cancel_idle()

    async def on_bot_disconnected(self, guild_id: int) -> None:
        """A moderator disconnected the bot: forget the guild's playback."""
        session = self.sessions.get(guild_id)
        if session is None:
            return
        async with session.lock:
            if self.voice.bot_channel(guild_id) is not None:
                return  # stale: we left on purpose and are back (rejoin, resume)
            await self._teardown(session, "disconnected")

    async def on_bot_moved(self, guild_id: int, channel_id: int) -> None:
        """A moderator moved the bot: follow along."""
        session = self.sessions.get(guild_id)
        if session is not None and session.voice_channel_id != channel_id:
            session.voice_channel_id = channel_id
            await self._changed(session, "moved")

    async def restore(self, session: GuildSession) -> None:
        """Rejoin the session's channel and continue its track where it was (after a restart,
        a voice reconnect or a node change)."""
        track = session.queue.current
        if session.voice_channel_id is None or track is None:
            return
        player = await self.voice.connect(session.guild_id, session.voice_channel_id)
        position = session.position_ms if track.is_seekable and not track.is_stream else 0
        await player.play(
            track_to_mafic(track),
            start_time=position or None,
            volume=session.volume,
            pause=session.paused,
            replace=True,
        )
        session.set_position(position, self.clock())
        await self._changed(session, "resumed")

    async def reconnect_voice(self, guild_id: int) -> None:
        """Discord invalidated the voice session (4006): leave and rejoin, keep playing."""
        session = self.sessions.get(guild_id)
        if session is None:
            return
        async with session.lock:
            session.set_position(session.live_position(self.clock()), self.clock())
            await self.voice.disconnect(guild_id)
            try:
                await self.restore(session)
            except UserError as exc:
                logger.warning("could not rejoin voice in guild {}: {}", guild_id, exc)
                await self._teardown(session, "disconnected")

    async def on_node_lost(self, label: str) -> None:
        """A node lost its players: note where each was, tell each guild once, rebuild."""
        now = self.clock()
        for guild_id, session in list(self.sessions.items()):
            if session.queue.current is None or session.rebuild_pending:
                continue
            if self.voice.node_label(guild_id) != label:
                continue
            session.set_position(session.live_position(now), now)
            session.rebuild_pending = True
            await self.bus.publish(
                Channel.TO_DISCORD,
                NodeLost(guild_id=guild_id, text_channel_id=session.text_channel_id),
            )
        self.schedule_rebuild()

    def schedule_rebuild(self) -> None:
        """Rebuild waiting players in the background (one rebuild pass at a time)."""
        if self._rebuild_task is None or self._rebuild_task.done():
            self._rebuild_task = asyncio.create_task(self.rebuild_pending(), name="rebuild")

    async def rebuild_pending(self) -> None:
        """Put every player that lost its node back on a healthy one, where it was."""
        for session in list(self.sessions.values()):
            if not session.rebuild_pending:
                continue
            if not self.voice.has_node():
                return  # they wait for the next node to come up
            async with session.lock:
                if not session.rebuild_pending:
                    continue
                await self.voice.disconnect(session.guild_id)
                try:
                    await self.restore(session)
                except ServiceUnavailable as exc:
                    logger.warning("rebuild of guild {} must wait: {}", session.guild_id, exc)
                    return
                except UserError as exc:
                    logger.warning("cannot rebuild guild {}: {}", session.guild_id, exc)
                    await self._teardown(session, "disconnected")
                    continue
                session.rebuild_pending = False
                logger.info("rebuilt the player of guild {}", session.guild_id)

    async def attach_message(self, command: ac.AttachNowPlaying) -> None:
        """The gateway posted (or re-posted) the now-playing message: remember it for resume."""
        session = self.sessions.get(command.guild_id)
        if session is not None and session.now_playing_message_id != command.message_id:
            session.now_playing_message_id = command.message_id
            if self.persistence is not None:
                self.persistence.changed(session)

    # -- publishing -----------------------------------------------------------

    async def _changed(self, session: GuildSession, reason: str) -> None:
        if self.persistence is not None:
            self.persistence.changed(session)
        await self.bus.publish(
            Channel.UI_NOW,
            NowPlayingUpdate(
                guild_id=session.guild_id, reason=reason, state=session.state(self.clock())
            ),
        )
