"""The audio side: serves bus commands with the playback service; relays Lavalink events to it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import mafic
from discord.ext import commands
from loguru import logger

from bot.audio_commands import NodeStatus, Ping, PingResult
from bot.bus import Channel, Subscription
from bot.db.history import HistoryStore
from bot.db.play_stats import PlayStatsStore
from bot.db.playlists import PlaylistStore
from bot.db.queue_store import QueueStore
from bot.events import VoiceMembersChanged
from bot.metrics import LAVALINK_EVENTS, TRACK_SECONDS
from bot.nodes import NodeConnector
from bot.playback.loader import TrackLoader
from bot.playback.persistence import PlaybackPersistence
from bot.playback.resume import resume_all
from bot.playback.service import PlaybackService
from cogs.audio.voice import DiscordVoice

if TYPE_CHECKING:
    from bot.app import MusicBot


class AudioCog(commands.Cog, name="audio"):
    """Owns the Lavalink nodes and the playback service; serves `discord-bot:commands`."""

    def __init__(self, bot: MusicBot) -> None:
        self.bot = bot
        self.nodes = NodeConnector(
            bot,
            bot.settings.lavalink.nodes,
            on_connected=self._node_connected,
            on_lost=self._node_lost,
            check_interval=bot.settings.lavalink.health_check_interval,
        )
        self.voice = DiscordVoice(bot)
        self.persistence: PlaybackPersistence | None = None
        if bot.db is not None:
            self.persistence = PlaybackPersistence(
                QueueStore(bot.db), interval=bot.settings.database.flush_interval
            )
        self.service = PlaybackService(
            bus=bot.bus,
            voice=self.voice,
            loader=TrackLoader(settings=lambda: bot.settings),
            policy=bot.guild_policy,
            persistence=self.persistence,
            history=HistoryStore(bot.db) if bot.db is not None else None,
            idle_timeout=lambda: bot.settings.limits.idle_disconnect_s,
            playlists=PlaylistStore(bot.db) if bot.db is not None else None,
            stats=PlayStatsStore(bot.db) if bot.db is not None else None,
            update_settings=bot.update_guild_settings,
            limits=lambda: bot.settings.limits,
        )
        self._subscription: Subscription | None = None

    async def cog_load(self) -> None:
        """Start nodes, the saver and the position job; serve commands."""
        self.nodes.start()
        if self.persistence is not None:
            self.persistence.start()
        self.bot.bus.serve(Channel.COMMANDS, self.handle)
        self._subscription = self.bot.bus.subscribe(
            Channel.TO_AUDIO, self.on_discord_event, name="audio"
        )
        self.bot.jobs.every(
            self.bot.settings.limits.position_save_interval, "save-positions", self.save_positions
        )

    async def cog_unload(self) -> None:
        """Save state, stop serving, close the nodes (players stay resumable from the database)."""
        self.bot.bus.stop_serving(Channel.COMMANDS)
        if self._subscription is not None:
            await self.bot.bus.unsubscribe(self._subscription)
        await self.bot.jobs.cancel("save-positions")
        await self.save_positions()
        await self.service.close()
        if self.persistence is not None:
            await self.persistence.close()
        await self.nodes.close()

    async def handle(self, command: Any) -> Any:
        """Dispatch one command from the bus."""
        logger.debug("{} for guild {}", type(command).__name__, getattr(command, "guild_id", "-"))
        if isinstance(command, Ping):
            return self.ping()
        return await self.service.handle(command)

    def ping(self) -> PingResult:
        """The state of every configured node, as the watchdog sees it.

        mafic keeps calling a node available after a clean close; the watchdog's
        state does not.
        """
        known = self.nodes.pool.label_to_node
        return PingResult(
            nodes=tuple(
                NodeStatus(
                    label=label,
                    available=self.nodes.state(label) == "up",
                    players=len(known[label].players) if label in known else 0,
                )
                for label in self.nodes.configs
            )
        )

    async def save_positions(self) -> None:
        """Record each playing guild's position (mafic extrapolates it between updates)."""
        for guild_id, session in list(self.service.sessions.items()):
            player = self.voice.player(guild_id)
            if player is not None and session.queue.current is not None:
                self.service.on_position(guild_id, player.position)

    async def on_discord_event(self, event: Any) -> None:
        """Voice changes of members and of the bot itself."""
        if not isinstance(event, VoiceMembersChanged):
            return
        if event.is_self:
            if event.after_channel_id is None:
                await self.service.on_bot_disconnected(event.guild_id)
            else:
                await self.service.on_bot_moved(event.guild_id, event.after_channel_id)
            return
        await self.service.on_channel_listeners(event.guild_id)

    # -- Lavalink events (dispatched by mafic through the client) -------------

    async def _node_connected(self, _node: mafic.Node[Any]) -> None:
        """First node after start: queue saved playback to rejoin, then serve; later: rebuild."""
        if self.service.ready.is_set():
            self.service.recovery.schedule()
            return
        try:
            if self.persistence is not None:
                await resume_all(self.service, self.persistence)
        finally:
            self.service.ready.set()

    async def _node_lost(self, label: str) -> None:
        """Players on the node are gone: move them to another node or wait for one."""
        await self.service.recovery.on_node_lost(label)

    @commands.Cog.listener()
    async def on_node_ready(self, node: mafic.Node[Any]) -> None:
        """A node is ready (also after mafic reconnected it by itself)."""
        LAVALINK_EVENTS.labels("node_ready", "ok").inc()
        await self.nodes.node_ready(node)

    @commands.Cog.listener()
    async def on_node_unavailable(self, node: mafic.Node[Any]) -> None:
        """mafic lost the node's websocket and reconnects it; its players are gone."""
        LAVALINK_EVENTS.labels("node_unavailable", "ok").inc()
        await self.nodes.node_unavailable(node)

    @commands.Cog.listener()
    async def on_track_start(self, event: mafic.TrackStartEvent[Any]) -> None:
        """Count audio started."""
        LAVALINK_EVENTS.labels("track_start", "ok").inc()
        TRACK_SECONDS.inc(max(event.track.length, 0) / 1000)

    @commands.Cog.listener()
    async def on_track_end(self, event: mafic.TrackEndEvent[Any]) -> None:
        """Advance the queue when a track finished or failed to load."""
        reason = event.reason.value if hasattr(event.reason, "value") else str(event.reason)
        LAVALINK_EVENTS.labels("track_end", reason).inc()
        await self.service.on_track_end(event.player.guild.id, reason)

    @commands.Cog.listener()
    async def on_track_exception(self, event: mafic.TrackExceptionEvent[Any]) -> None:
        """Tell the channel a track failed."""
        exception = event.exception
        LAVALINK_EVENTS.labels("track_exception", str(exception.get("severity", ""))).inc()
        logger.warning("track {!r} failed: {}", event.track.title, exception.get("message"))
        message = exception.get("message") or "It could not be played."
        if str(exception.get("severity", "")).lower() != "common":
            message = "It could not be played."
        await self.service.on_track_exception(event.player.guild.id, message)

    @commands.Cog.listener()
    async def on_track_stuck(self, event: mafic.TrackStuckEvent[Any]) -> None:
        """Skip a stuck track."""
        LAVALINK_EVENTS.labels("track_stuck", "ok").inc()
        await self.service.on_track_stuck(event.player.guild.id)

    @commands.Cog.listener()
    async def on_lavalink_plugin_event(
        self, player: mafic.Player[Any], data: dict[str, Any]
    ) -> None:
        """An event of a Lavalink plugin (SponsorBlock segments), passed on by `MusicPlayer`."""
        LAVALINK_EVENTS.labels("plugin", "ok").inc()
        await self.service.effects.on_plugin_event(player.guild.id, data)

    @commands.Cog.listener()
    async def on_websocket_closed(self, event: mafic.WebSocketClosedEvent[Any]) -> None:
        """Discord closed the voice connection: 4014 means we were disconnected."""
        LAVALINK_EVENTS.labels("websocket_closed", str(event.code)).inc()
        logger.info(
            "voice websocket closed in guild {}: {} {}",
            event.player.guild.id,
            event.code,
            event.reason,
        )
        if event.code in (4014, 4022):
            await self.service.on_bot_disconnected(event.player.guild.id)
        elif event.code == 4006:
            await self.service.recovery.reconnect_voice(event.player.guild.id)
