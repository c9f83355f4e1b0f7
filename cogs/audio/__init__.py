"""Audio cog: Lavalink nodes and players, queues, search; serves `discord-bot:commands`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cogs.audio._cog import AudioCog

if TYPE_CHECKING:
    from bot.app import MusicBot


async def setup(bot: MusicBot) -> None:
    """Load the audio cog."""
    await bot.add_cog(AudioCog(bot))
