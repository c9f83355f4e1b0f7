"""/autoplay: what plays when the queue runs out (a guild setting, off by default)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot import audio_commands as ac
from bot.command_tree import defer_public
from bot.errors import UserError
from bot.music.autoplay import AutoplayMode
from cogs.gateway import render
from cogs.gateway.command_path import ask_audio, member_voice_channel

if TYPE_CHECKING:
    from bot.app import MusicBot

EXPLAINED: dict[str, str] = {
    AutoplayMode.OFF: "Autoplay is **off**: playback stops when the queue ends.",
    AutoplayMode.SIMILAR: "Autoplay: **similar songs** to the last one when the queue ends.",
    AutoplayMode.ARTIST: "Autoplay: **more by the same artist** when the queue ends.",
    AutoplayMode.GENRE: "Autoplay: **the same genre** when the queue ends.",
    AutoplayMode.MIXED: "Autoplay: **a mix** of similar songs, the artist and the genre.",
}
MODE_CHOICES = [
    app_commands.Choice(name="Off", value=AutoplayMode.OFF.value),
    app_commands.Choice(name="Similar songs", value=AutoplayMode.SIMILAR.value),
    app_commands.Choice(name="Same artist", value=AutoplayMode.ARTIST.value),
    app_commands.Choice(name="Same genre", value=AutoplayMode.GENRE.value),
    app_commands.Choice(name="Mixed", value=AutoplayMode.MIXED.value),
]


class AutoplayCommands(commands.Cog, name="autoplay"):
    """The /autoplay command."""

    def __init__(self, bot: MusicBot) -> None:
        self.bot = bot

    @app_commands.command(name="autoplay", description="Keep playing related songs after the queue")
    @app_commands.describe(mode="What to play when the queue ends; empty: show the setting")
    @app_commands.choices(mode=MODE_CHOICES)
    @app_commands.guild_only()
    async def autoplay(
        self, interaction: discord.Interaction[Any], mode: app_commands.Choice[str] | None = None
    ) -> None:
        """Set the guild's autoplay mode; members listening (or Manage Server) may change it."""
        guild_id = interaction.guild_id or 0
        settings = self.bot.guild_settings
        if settings is None:
            raise UserError("Autoplay needs the database, which is not configured.")
        if mode is None:
            current = (await settings.get(guild_id)).autoplay_mode
            await interaction.response.send_message(
                embed=render.message_embed(EXPLAINED.get(current, current)), ephemeral=True
            )
            return
        self._require_listener(interaction)
        flags = self.bot.flags
        if (
            mode.value != AutoplayMode.OFF
            and flags is not None
            and not await flags.is_enabled("autoplay", guild_id)
        ):
            raise UserError("Autoplay is turned off on this server.")
        await defer_public(interaction)  # starting right away may take a search or two
        await settings.update(guild_id, autoplay_mode=mode.value)
        started: bool = await ask_audio(
            self.bot,
            ac.AutoplayChanged(guild_id=guild_id, user_id=interaction.user.id, mode=mode.value),
        )
        text = EXPLAINED[mode.value]
        if started:
            text += " Starting now."
        await interaction.edit_original_response(embed=render.message_embed(text))

    def _require_listener(self, interaction: discord.Interaction[Any]) -> None:
        """Members in the bot's voice channel may switch it (or anywhere in voice while
        the bot is not); Manage Server may always."""
        permissions = interaction.permissions
        if permissions.manage_guild or permissions.administrator:
            return
        member_channel = member_voice_channel(interaction)
        if member_channel is None:
            raise UserError("Join a voice channel to change autoplay.")
        guild = interaction.guild
        me = guild.me if guild is not None else None
        bot_channel = me.voice.channel if me is not None and me.voice is not None else None
        if bot_channel is not None and bot_channel.id != member_channel:
            raise UserError(f"You need to be in my voice channel, <#{bot_channel.id}>.")
