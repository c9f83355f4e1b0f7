"""Background jobs of the bot, scheduled on the bot's scheduler while the cog is loaded."""

from __future__ import annotations

from typing import TYPE_CHECKING

from discord.ext import commands

from bot.jobs import Job

if TYPE_CHECKING:
    from bot.app import MusicBot


class WorkerCog(commands.Cog, name="worker"):
    """Schedules the housekeeping jobs (retention, cleanup) on `bot.jobs`."""

    def __init__(self, bot: MusicBot) -> None:
        self.bot = bot
        self.jobs: list[Job] = []

    async def cog_unload(self) -> None:
        """Stop the jobs this cog scheduled."""
        for job in self.jobs:
            await self.bot.jobs.cancel(job.name)
