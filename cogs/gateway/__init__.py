"""Gateway cog: slash commands, buttons and the now-playing message."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cogs.gateway._cog import GatewayCog
from cogs.gateway.autoplay import AutoplayCommands
from cogs.gateway.effects import EffectsCommands
from cogs.gateway.guild_admin import GuildAdmin
from cogs.gateway.music import MusicCommands
from cogs.gateway.playlists import PlaylistCommands
from cogs.gateway.stats import StatsCommands

if TYPE_CHECKING:
    from bot.app import MusicBot


async def setup(bot: MusicBot) -> None:
    """Load the gateway cogs."""
    await bot.add_cog(GatewayCog(bot))
    await bot.add_cog(MusicCommands(bot))
    await bot.add_cog(AutoplayCommands(bot))
    await bot.add_cog(PlaylistCommands(bot))
    await bot.add_cog(StatsCommands(bot))
    await bot.add_cog(EffectsCommands(bot))
    await bot.add_cog(GuildAdmin(bot))
