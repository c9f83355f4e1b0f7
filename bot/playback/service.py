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
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import mafic
from loguru import logger

from bot import audio_commands as ac
from bot.bus import Channel, EventBus, check_deadline
from bot.db.history import HistoryStore
from bot.db.play_stats import PlayStatsStore
from bot.db.playlists import PlaylistStore
from bot.errors import NothingPlaying, NotInVoice, ServiceUnavailable, UserError
from bot.events import QueueEnded, TrackFailed
from bot.i18n import Text, t
from bot.messages import NowPlayingUpdate
from bot.music.queue import QueueFull
from bot.music.source_policy import SourcePolicy
from bot.music.timefmt import format_duration
from bot.music.track import QueuedTrack
from bot.playback.autoplay import AutoplayFiller
from bot.playback.control_rights import ControlRights
from bot.playback.controls import Controls
from bot.playback.effects import Effects
from bot.playback.loader import TrackLoader, track_to_mafic
from bot.playback.persistence import PlaybackPersistence
from bot.playback.play_history import PlayRecorder
from bot.playback.playlists import PlaylistCommands, playlist_limits
from bot.playback.ports import GuildPolicy, SettingsWriter, VoicePort
from bot.playback.recovery import PlayerRecovery
from bot.playback.session import GuildSession
from bot.playback.stats import StatsCommands
from bot.playback.stay_connected import stay_connected_changed
from bot.playback.vote_skip import VoteSkip
from bot.settings import LimitsSettings

MAX_FAILURES_IN_A_ROW = 3
# Failures of the node rather than of the track: the player is rebuilt, the track kept.
NODE_ERRORS = (
    mafic.HTTPNotFound,
    mafic.HTTPUnauthorized,
    mafic.PlayerNotConnected,
    mafic.NoNodesAvailable,
    aiohttp.ClientError,
    ConnectionError,
    TimeoutError,
)


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
        playlists: PlaylistStore | None = None,
        stats: PlayStatsStore | None = None,
        update_settings: SettingsWriter,
        limits: Callable[[], LimitsSettings] = LimitsSettings,
    ) -> None:
        self.bus = bus
        self.voice = voice
        self.loader = loader
        self.policy = policy
        self.update_settings = update_settings
        self.persistence = persistence
        self.plays = PlayRecorder(history)
        self.recovery = PlayerRecovery(self)
        self.controls = Controls(self)
        self.autoplay = AutoplayFiller(self, recent_window=lambda: limits().autoplay_recent_window)
        self.playlists = PlaylistCommands(self, playlists, limits=lambda: playlist_limits(limits()))
        self.stats = StatsCommands(stats)
        self.effects = Effects(self)
        self.rights = ControlRights(self)
        self.votes = VoteSkip(self)
        self.idle_timeout = idle_timeout
        self.clock = clock
        self.sessions: dict[int, GuildSession] = {}
        # Set once saved playback is loaded and its guilds wait to rejoin (rebuild_pending);
        # commands wait for it so none starts afresh in a guild about to resume.
        self.ready = asyncio.Event()
        self.ready_timeout = 3.0
        self._handlers: dict[type, Callable[[Any], Awaitable[Any]]] = {
            ac.Play: self.play,
            ac.Pause: lambda c: self.controls.set_paused(c, True),
            ac.Resume: lambda c: self.controls.set_paused(c, False),
            ac.TogglePause: lambda c: self.controls.set_paused(c, None),
            ac.Skip: self.controls.skip,
            ac.Previous: self.controls.previous,
            ac.Stop: self.controls.stop,
            ac.Leave: self.controls.leave,
            ac.Seek: self.controls.seek,
            ac.SetVolume: self.controls.set_volume,
            ac.SetLoop: self.controls.set_loop,
            ac.Shuffle: self.controls.shuffle,
            ac.Remove: self.controls.remove,
            ac.Move: self.controls.move,
            ac.Clear: self.controls.clear,
            ac.ShowQueue: self.show_queue,
            ac.ShowNowPlaying: self.show_now_playing,
            ac.AttachNowPlaying: self.attach_message,
            ac.AutoplayChanged: self.autoplay.changed,
            ac.SavePlaylist: self.playlists.save,
            ac.LoadPlaylist: self.playlists.load,
            ac.ListPlaylists: self.playlists.list_playlists,
            ac.ShowPlaylist: self.playlists.show,
            ac.DeletePlaylist: self.playlists.delete,
            ac.AddToPlaylist: self.playlists.add,
            ac.RemoveFromPlaylist: self.playlists.remove,
            ac.ShowStats: self.stats.show,
            ac.SetStatsOptOut: self.stats.set_opt_out,
            ac.SetFilter: self.effects.set_filter,
            ac.ResetFilters: self.effects.reset_filters,
            ac.SetSponsorBlock: self.effects.set_sponsorblock,
            ac.ShowSponsorBlock: self.effects.show_sponsorblock,
            ac.VoteSkip: self.votes.vote,
            ac.StayConnectedChanged: lambda c: stay_connected_changed(self, c),
        }

    # -- dispatch -------------------------------------------------------------

    async def handle(self, command: Any) -> Any:
        """Run one command under its guild's lock; a node failing mid-command is not a crash.

        If the node fails while a command runs (its session is gone, it does not
        answer), the guild's state so far is saved and published, the player is
        queued for a rebuild and the user is told to try again.
        """
        try:
            return await self._handle(command)
        except NODE_ERRORS as exc:
            session = self.sessions.get(getattr(command, "guild_id", 0))
            logger.warning("the music server failed during {} ({})", type(command).__name__,
                           type(exc).__name__)
            if session is not None and session.queue.current is not None:
                self.recovery.mark_lost(session)
                await self.changed(session, "node_error")
            raise ServiceUnavailable("service.node_failed") from None

    async def _handle(self, command: Any) -> Any:
        if not self.ready.is_set():
            try:
                await asyncio.wait_for(self.ready.wait(), self.ready_timeout)
            except TimeoutError:
                raise ServiceUnavailable("service.starting_up") from None
        if isinstance(command, ac.Search):
            return await self.search(command)
        if isinstance(command, ac.ShowHistory):
            return await self.plays.recent(command)
        if isinstance(command, ac.ShowLyrics):  # slow plugin call: not under the guild's lock
            return await self.effects.show_lyrics(command)
        handler = self._handlers.get(type(command))
        if handler is None:
            raise TypeError(f"the audio side does not handle {type(command).__name__}")
        session = self.session(command.guild_id)
        async with session.lock:
            check_deadline()  # it waited for the lock until its caller gave up: drop it
            await self.rights.check(command)
            return await handler(command)

    def session(self, guild_id: int) -> GuildSession:
        """The guild's session, created empty on first use."""
        session = self.sessions.get(guild_id)
        if session is None:
            session = self.sessions[guild_id] = GuildSession(guild_id)
        return session

    # -- checks ---------------------------------------------------------------

    def require_same_channel(self, command: ac.VoiceCommand) -> GuildSession:
        session = self.session(command.guild_id)
        bot_channel = self.voice.bot_channel(command.guild_id)
        if command.voice_channel_id is None:
            raise NotInVoice()
        if bot_channel is not None and bot_channel != command.voice_channel_id:
            raise UserError("errors.join_my_channel", channel=f"<#{bot_channel}>")
        return session

    def require_playing(self, command: ac.VoiceCommand) -> tuple[GuildSession, mafic.Player[Any]]:
        session = self.require_same_channel(command)
        if session.rebuild_pending:
            raise ServiceUnavailable("service.reconnecting")
        player = self.voice.player(command.guild_id)
        if session.queue.current is None or player is None:
            raise NothingPlaying()
        return session, player

    # -- play -----------------------------------------------------------------

    async def play(self, command: ac.Play) -> ac.PlayResult:
        """Load the query, queue what it found, join and start if idle."""
        self.require_joinable(command)
        policy = await self.policy(command.guild_id)
        SourcePolicy(policy.allowed_sources).check_query(
            command.query, command.source, policy.default_source
        )
        loaded = await self.loader.load(
            command.query,
            source=command.source,
            default_source=policy.default_source,
            requester_id=command.user_id,
        )
        tracks = loaded.tracks[:1] if loaded.is_search else loaded.tracks
        return await self.enqueue(
            command, tracks, policy, playlist=loaded.playlist, next_up=command.next_up
        )

    def require_joinable(self, command: ac.VoiceCommand) -> None:
        """Refuse a member outside voice, or elsewhere while the bot plays to listeners."""
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
            raise UserError("service.busy_elsewhere", channel=f"<#{bot_channel}>")

    async def enqueue(
        self,
        command: ac.VoiceCommand,
        tracks: list[QueuedTrack],
        policy: GuildPolicy,
        *,
        playlist: str | None = None,
        next_up: bool = False,
    ) -> ac.PlayResult:
        """Queue tracks as /play does: allowed sources, limits, join, start if idle."""
        channel_id = command.voice_channel_id
        if channel_id is None:
            raise NotInVoice()
        session = self.session(command.guild_id)
        bot_channel = self.voice.bot_channel(command.guild_id)
        tracks, skipped = SourcePolicy(policy.allowed_sources).keep_allowed(tracks)
        tracks = self._within_length_limit(tracks, policy)
        if len(session.queue) >= policy.max_queue_length:
            raise QueueFull(policy.max_queue_length)
        if session.voice_channel_id is None and session.queue.current is None:
            session.volume = policy.default_volume  # a fresh start takes the guild's default
        # Join before queueing: a refused join (permission, no node, timeout) queues nothing.
        if bot_channel != channel_id or self.voice.player(command.guild_id) is None:
            player = await self.voice.connect(command.guild_id, channel_id)
            await self.effects.on_new_player(session, player)
        check_deadline()  # loading or joining took longer than the caller waited
        added = session.queue.add(tracks, limit=policy.max_queue_length, next_up=next_up)
        session.voice_channel_id = channel_id
        session.text_channel_id = (
            session.text_channel_id or policy.announce_channel_id or command.channel_id
        )
        session.cancel_idle()
        started = False
        if session.queue.current is None:
            started = await self.start_next(session, finished=False)
        else:
            await self.changed(session, "queued")
        return ac.PlayResult(
            tracks=tuple(tracks[: added.added]),
            playlist=playlist,
            started=started,
            position=0 if started else added.first_position,
            dropped=added.dropped,
            skipped=skipped,
        )

    @staticmethod
    def _within_length_limit(tracks: list[QueuedTrack], policy: GuildPolicy) -> list[QueuedTrack]:
        limit = policy.max_track_length_s
        if limit is None:
            return tracks
        kept = [t for t in tracks if t.is_stream or t.length_ms <= limit * 1000]
        if not kept:
            raise UserError("service.track_too_long", limit=format_duration(limit * 1000))
        return kept

    async def start_next(
        self, session: GuildSession, *, finished: bool, advance: bool = True
    ) -> bool:
        """Advance the queue and play; on the end of the queue, stop and schedule idle.

        With `advance=False` the queue's current track is played first (after a
        skip to a position or /previous moved the cursor); later tracks, if it
        fails, come by advancing as usual.
        """
        self.votes.track_changed(session.guild_id)
        while True:
            track = session.queue.advance(finished=finished) if advance else session.queue.current
            advance = True
            player = self.voice.player(session.guild_id)
            if track is None and player is not None and await self.autoplay.fill(session):
                continue
            if track is None or player is None:
                if player is not None:
                    await player.stop()
                session.set_position(0, self.clock())
                await self.changed(session, "queue_end")
                await self.bus.publish(
                    Channel.TO_DISCORD,
                    QueueEnded(guild_id=session.guild_id, text_channel_id=session.text_channel_id),
                )
                self.schedule_idle(session)
                return False
            try:
                await player.play(
                    track_to_mafic(track), volume=session.volume, pause=session.paused, replace=True
                )
            except mafic.HTTPBadRequest as exc:
                logger.warning("Lavalink refused to play {!r}: {}", track.title, exc)
                await self._failed(session, track, t("events.could_not_play"))
                if session.failures_in_a_row >= MAX_FAILURES_IN_A_ROW:
                    return False
                finished = False
                continue
            except NODE_ERRORS as exc:
                # The node, not the track, failed (its session is gone, it does not
                # answer): keep the track as current and rebuild the player on a node.
                logger.warning("the node failed to start {!r} ({}); rebuilding", track.title,
                               type(exc).__name__)
                session.set_position(0, self.clock())
                self.recovery.mark_lost(session)
                await self.changed(session, "track_start")
                return True
            except mafic.HTTPException as exc:  # a 5xx while loading this track
                logger.warning("Lavalink failed to play {!r}: {}", track.title, exc)
                await self._failed(session, track, t("events.could_not_play"))
                if session.failures_in_a_row >= MAX_FAILURES_IN_A_ROW:
                    return False
                finished = False
                continue
            session.set_position(0, self.clock())
            self.plays.record(session.guild_id, track)
            await self.changed(session, "track_start")
            return True

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
        """Search results (of allowed sources) without queueing anything."""
        policy = await self.policy(command.guild_id)
        sources = SourcePolicy(policy.allowed_sources)
        sources.check_query(command.query, command.source, policy.default_source)
        loaded = await self.loader.load(
            command.query,
            source=command.source,
            default_source=policy.default_source,
            requester_id=command.user_id,
            cached_only=command.cached_only,
        )
        tracks, _ = sources.keep_allowed(loaded.tracks)
        return ac.SearchResult(tuple(tracks[: command.limit]))

    async def close(self) -> None:
        """Cancel idle timers and rebuilds; wait for history writes in flight."""
        for session in self.sessions.values():
            session.cancel_idle()
        await self.recovery.close()
        await self.plays.settle()

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
            await self.start_next(session, finished=reason == "finished")

    async def on_track_exception(self, guild_id: int, message: str) -> None:
        """Tell the channel; the `loadFailed` end that follows moves on."""
        session = self.sessions.get(guild_id)
        if session is None or session.queue.current is None:
            return
        await self._failed(session, session.queue.current, t("events.server_said", message=message))

    async def on_track_stuck(self, guild_id: int) -> None:
        """A stuck track is skipped."""
        session = self.sessions.get(guild_id)
        if session is None:
            return
        async with session.lock:
            logger.info("track stuck in guild {}; skipping", guild_id)
            await self.start_next(session, finished=False)

    def on_position(self, guild_id: int, position_ms: int) -> None:
        """A `playerUpdate`: remember the position and save it (coalesced)."""
        session = self.sessions.get(guild_id)
        if session is None or session.queue.current is None:
            return
        session.set_position(position_ms, self.clock())
        if self.persistence is not None:
            self.persistence.moved(session)

    async def _failed(self, session: GuildSession, track: QueuedTrack, reason: Text) -> None:
        session.failures_in_a_row += 1
        await self.bus.publish(
            Channel.TO_DISCORD,
            TrackFailed(
                guild_id=session.guild_id,
                text_channel_id=session.text_channel_id,
                title=track.title,
                reason=reason,
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
        await self.changed(session, "stopped")
        await self.bus.publish(
            Channel.TO_DISCORD,
            QueueEnded(
                guild_id=session.guild_id,
                text_channel_id=session.text_channel_id,
                reason=t("events.gave_up", count=MAX_FAILURES_IN_A_ROW),
            ),
        )
        self.schedule_idle(session)

    # -- voice lifecycle ------------------------------------------------------

    def schedule_idle(self, session: GuildSession) -> None:
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
            await self.teardown(session, "idle")

    async def teardown(self, session: GuildSession, reason: str) -> None:
        """Stop, leave voice and forget the guild's playback (also its saved queue)."""
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
            self.schedule_idle(session)
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
            await self.teardown(session, "disconnected")

    async def on_bot_moved(self, guild_id: int, channel_id: int) -> None:
        """A moderator moved the bot: follow along (our own joins set the channel themselves)."""
        session = self.sessions.get(guild_id)
        if session is None:
            return
        async with session.lock:
            if session.voice_channel_id is not None and session.voice_channel_id != channel_id:
                session.voice_channel_id = channel_id
                await self.changed(session, "moved")

    async def attach_message(self, command: ac.AttachNowPlaying) -> None:
        """The gateway posted (or re-posted) the now-playing message: remember it for resume."""
        session = self.sessions.get(command.guild_id)
        if session is not None and session.now_playing_message_id != command.message_id:
            session.now_playing_message_id = command.message_id
            if self.persistence is not None:
                self.persistence.changed(session)

    # -- publishing -----------------------------------------------------------

    async def changed(self, session: GuildSession, reason: str) -> None:
        """Save the session soon and publish its new state on `discord-bot:ui:now`."""
        if self.persistence is not None:
            self.persistence.changed(session)
        await self.bus.publish(
            Channel.UI_NOW,
            NowPlayingUpdate(
                guild_id=session.guild_id, reason=reason, state=session.state(self.clock())
            ),
        )
