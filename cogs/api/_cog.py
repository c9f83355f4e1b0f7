"""Starts and stops the HTTP server with the bot; feeds it now-playing updates and webhooks."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import mafic
from aiohttp import web
from discord.ext import commands
from loguru import logger

from bot.api.board import NowPlayingBoard
from bot.api.server import build_app
from bot.api.webhooks import WebhookSender, track_data
from bot.bus import Channel, Subscription
from bot.events import NodeLost, QueueEnded
from bot.metrics import PLAYERS, PLAYING_PLAYERS
from cogs.api.port import DiscordBotPort

if TYPE_CHECKING:
    from bot.app import MusicBot

SHUTDOWN_TIMEOUT = 2.0


class ApiCog(commands.Cog, name="api"):
    """The aiohttp server on `api.host:api.port`, and the webhook sender."""

    def __init__(self, bot: MusicBot) -> None:
        self.bot = bot
        settings = bot.settings.api
        self.board = NowPlayingBoard(max_listeners=settings.max_event_streams)
        self.port_view = DiscordBotPort(bot, self.board)
        self.webhooks = WebhookSender(settings, bot.durable)
        self.runner: web.AppRunner | None = None
        self.port: int | None = None
        self._subscriptions: list[Subscription] = []

    async def cog_load(self) -> None:
        """Follow now-playing updates, refresh the player gauges on scrape, start serving."""
        bus = self.bot.bus
        self._subscriptions.append(
            # remote: with the Redis bus, the other processes' guilds are on the board too.
            bus.subscribe(Channel.UI_NOW, self.board.on_update, name="api-board", remote=True)
        )
        if self.webhooks.enabled:
            self.webhooks.start()
            self._subscriptions.append(
                bus.subscribe(Channel.TO_DISCORD, self.on_audio_event, name="api-webhooks")
            )
        PLAYERS.set_function(lambda: self.port_view.players()[0])
        PLAYING_PLAYERS.set_function(lambda: self.port_view.players()[1])
        settings = self.bot.settings.api
        if not settings.enabled:
            return
        self.runner = web.AppRunner(
            build_app(self.port_view),
            access_log=None,
            keepalive_timeout=settings.keepalive_timeout,
            shutdown_timeout=SHUTDOWN_TIMEOUT,
            # A client that hangs up cancels its handler: an event stream ends at once.
            # Commands still finish: the bus shields them from their caller.
            handler_cancellation=True,
        )
        await self.runner.setup()
        site = web.TCPSite(self.runner, settings.host, settings.port)
        await site.start()
        server = site._server
        sockets = getattr(server, "sockets", None) or []
        self.port = sockets[0].getsockname()[1] if sockets else settings.port
        logger.info("HTTP server on http://{}:{}", settings.host, self.port)

    async def cog_unload(self) -> None:
        """Close the live pages, stop serving, flush webhooks, stop following updates."""
        self.board.close()
        if self.runner is not None:
            await self.runner.cleanup()
            self.runner = None
        for subscription in self._subscriptions:
            await self.bot.bus.unsubscribe(subscription)
        self._subscriptions.clear()
        await self.webhooks.close()
        PLAYERS.set_function(lambda: 0)
        PLAYING_PLAYERS.set_function(lambda: 0)

    # -- webhooks ---------------------------------------------------------------

    async def on_audio_event(self, event: Any) -> None:
        """Queue end and node lost, from `discord-bot:to-discord`."""
        if isinstance(event, QueueEnded):
            self.webhooks.emit(
                "queue_end", {"guild_id": str(event.guild_id), "reason": event.reason.english}
            )
        elif isinstance(event, NodeLost):
            self.webhooks.emit("node_lost", {"guild_id": str(event.guild_id)})

    @commands.Cog.listener()
    async def on_track_start(self, event: mafic.TrackStartEvent[Any]) -> None:
        """A track started (mafic dispatches Lavalink's events through the client)."""
        if self.webhooks.enabled:
            self.webhooks.emit("track_start", _track(event.player.guild.id, event.track))

    @commands.Cog.listener()
    async def on_track_end(self, event: mafic.TrackEndEvent[Any]) -> None:
        """A track ended: finished, replaced (skip), stopped, or failed to load."""
        if self.webhooks.enabled:
            data = _track(event.player.guild.id, event.track)
            data["reason"] = getattr(event.reason, "value", str(event.reason))
            self.webhooks.emit("track_end", data)


def _track(guild_id: int, track: mafic.Track) -> dict[str, Any]:
    return track_data(
        guild_id, track.title, track.author, track.uri, track.length, track.identifier
    )
