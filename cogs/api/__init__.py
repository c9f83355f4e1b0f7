"""API cog: the aiohttp server (health, readiness, metrics)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cogs.api._cog import ApiCog

if TYPE_CHECKING:
    from bot.app import MusicBot


async def setup(bot: MusicBot) -> None:
    """Load the API cog."""
    await bot.add_cog(ApiCog(bot))
