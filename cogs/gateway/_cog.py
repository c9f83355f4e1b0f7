"""Slash commands: validate, publish on the bus, render the answer. No Lavalink here."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.audio_commands import Ping, PingResult
from bot.bus import Channel
from bot.command_tree import record_command

if TYPE_CHECKING:
    from bot.app import MusicBot


class GatewayCog(commands.Cog, name="gateway"):
    """The Discord front end of the bot."""

    def __init__(self, bot: MusicBot) -> None:
        self.bot = bot

    async def ask_audio(self, command: Any) -> Any:
        """Send a command to the audio side and wait for its answer."""
        return await self.bot.bus.request(
            Channel.COMMANDS, command, timeout=self.bot.settings.limits.command_timeout
        )

    @commands.Cog.listener()
    async def on_app_command_completion(
        self, interaction: discord.Interaction[Any], _command: Any
    ) -> None:
        """Count every command that finished without an error."""
        record_command(interaction, "ok")

    @app_commands.command(name="ping", description="Check that the bot and its music nodes answer")
    async def ping(self, interaction: discord.Interaction[Any]) -> None:
        """Gateway latency plus the state of every Lavalink node, via the audio side."""
        result: PingResult = await self.ask_audio(
            Ping(guild_id=interaction.guild_id or 0, user_id=interaction.user.id)
        )
        embed = discord.Embed(title="Pong", colour=discord.Colour.green())
        latency = self.bot.latency
        embed.add_field(
            name="Gateway", value=f"{latency * 1000:.0f} ms" if latency == latency else "n/a"
        )
        nodes = "\n".join(
            f"{'🟢' if n.available else '🔴'} {n.label} ({n.players} players)" for n in result.nodes
        )
        embed.add_field(name="Music nodes", value=nodes or "none configured", inline=False)
        await interaction.response.send_message(embed=embed, ephemeral=True)
