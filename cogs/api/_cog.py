"""Starts and stops the HTTP server with the bot."""

from __future__ import annotations

from typing import TYPE_CHECKING

import mafic
from aiohttp import web
from discord.ext import commands
from loguru import logger

from bot.http_server import Readiness, build_app

if TYPE_CHECKING:
    from bot.app import MusicBot


class ApiCog(commands.Cog, name="api"):
    """The aiohttp server on `api.host:api.port`."""

    def __init__(self, bot: MusicBot) -> None:
        self.bot = bot
        self.runner: web.AppRunner | None = None
        self.port: int | None = None

    async def cog_load(self) -> None:
        """Start serving, if enabled."""
        settings = self.bot.settings.api
        if not settings.enabled:
            return
        self.runner = web.AppRunner(build_app(self.readiness), access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, settings.host, settings.port)
        await site.start()
        server = site._server
        sockets = getattr(server, "sockets", None) or []
        self.port = sockets[0].getsockname()[1] if sockets else settings.port
        logger.info("HTTP server on http://{}:{}", settings.host, self.port)

    async def cog_unload(self) -> None:
        """Stop serving."""
        if self.runner is not None:
            await self.runner.cleanup()
            self.runner = None

    async def readiness(self) -> Readiness:
        """Discord connected, a Lavalink node up, the database answering."""
        db = self.bot.db
        return Readiness(
            discord=self.bot.is_ready() and not self.bot.is_closed(),
            lavalink=bool(mafic.NodePool.nodes),
            database=db is not None and await db.ping(),
        )
