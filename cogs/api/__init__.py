"""API cog: the aiohttp server (probes, metrics, info, REST API, status page)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cogs.api._cog import ApiCog

if TYPE_CHECKING:
    from bot.app import MusicBot


async def setup(bot: MusicBot) -> None:
    """Load the API cog."""
    await bot.add_cog(ApiCog(bot))
