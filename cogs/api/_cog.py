"""Starts and stops the HTTP server with the bot, and feeds it now-playing updates."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web
from discord.ext import commands
from loguru import logger

from bot.api.board import NowPlayingBoard
from bot.api.server import build_app
from bot.bus import Channel, Subscription
from bot.metrics import PLAYERS, PLAYING_PLAYERS
from cogs.api.port import DiscordBotPort

if TYPE_CHECKING:
    from bot.app import MusicBot

SHUTDOWN_TIMEOUT = 2.0


class ApiCog(commands.Cog, name="api"):
    """The aiohttp server on `api.host:api.port`."""

    def __init__(self, bot: MusicBot) -> None:
        self.bot = bot
        settings = bot.settings.api
        self.board = NowPlayingBoard(max_listeners=settings.max_event_streams)
        self.port_view = DiscordBotPort(bot, self.board)
        self.runner: web.AppRunner | None = None
        self.port: int | None = None
        self._subscription: Subscription | None = None

    async def cog_load(self) -> None:
        """Follow now-playing updates, refresh the player gauges on scrape, start serving."""
        self._subscription = self.bot.bus.subscribe(
            Channel.UI_NOW, self.board.on_update, name="api-board"
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
        """Close the live pages, stop serving, stop following updates."""
        self.board.close()
        if self.runner is not None:
            await self.runner.cleanup()
            self.runner = None
        if self._subscription is not None:
            await self.bot.bus.unsubscribe(self._subscription)
            self._subscription = None
        PLAYERS.set_function(lambda: 0)
        PLAYING_PLAYERS.set_function(lambda: 0)
