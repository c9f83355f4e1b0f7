"""Worker cog: scheduled background jobs."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cogs.worker._cog import WorkerCog

if TYPE_CHECKING:
    from bot.app import MusicBot


async def setup(bot: MusicBot) -> None:
    """Load the worker cog."""
    await bot.add_cog(WorkerCog(bot))
