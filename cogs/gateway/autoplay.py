"""/autoplay: what plays when the queue runs out (a guild setting, off by default)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot import audio_commands as ac
from bot.command_tree import defer_public
from bot.errors import UserError
from bot.i18n import sentences, t, tr
from bot.i18n.reader import interaction_locale
from bot.i18n.translator import localized_choice
from bot.music.autoplay import AutoplayMode
from cogs.gateway import render
from cogs.gateway.command_path import ask_audio, member_voice_channel

if TYPE_CHECKING:
    from bot.app import MusicBot

EXPLAINED: dict[str, str] = {
    AutoplayMode.OFF: "autoplay.explained.off",
    AutoplayMode.SIMILAR: "autoplay.explained.similar",
    AutoplayMode.ARTIST: "autoplay.explained.artist",
    AutoplayMode.GENRE: "autoplay.explained.genre",
    AutoplayMode.MIXED: "autoplay.explained.mixed",
}
MODE_CHOICES = [
    localized_choice("choice.autoplay.off", "Off", AutoplayMode.OFF.value),
    localized_choice("choice.autoplay.similar", "Similar songs", AutoplayMode.SIMILAR.value),
    localized_choice("choice.autoplay.artist", "Same artist", AutoplayMode.ARTIST.value),
    localized_choice("choice.autoplay.genre", "Same genre", AutoplayMode.GENRE.value),
    localized_choice("choice.autoplay.mixed", "Mixed", AutoplayMode.MIXED.value),
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
            raise UserError("autoplay.no_database")
        locale = await interaction_locale(interaction)
        if mode is None:
            current = (await settings.get(guild_id)).autoplay_mode
            shown = tr(locale, EXPLAINED[current]) if current in EXPLAINED else current
            await interaction.response.send_message(
                embed=render.message_embed(shown), ephemeral=True
            )
            return
        self._require_listener(interaction)
        flags = self.bot.flags
        if (
            mode.value != AutoplayMode.OFF
            and flags is not None
            and not await flags.is_enabled("autoplay", guild_id)
        ):
            raise UserError("autoplay.disabled")
        await defer_public(interaction)  # starting right away may take a search or two
        await settings.update(guild_id, autoplay_mode=mode.value)
        started: bool = await ask_audio(
            self.bot,
            ac.AutoplayChanged(guild_id=guild_id, user_id=interaction.user.id, mode=mode.value),
        )
        text = t(EXPLAINED[mode.value])
        if started:
            text = sentences(text, t("autoplay.starting"))
        await interaction.edit_original_response(embed=render.message_embed(text.render(locale)))

    def _require_listener(self, interaction: discord.Interaction[Any]) -> None:
        """Members in the bot's voice channel may switch it (or anywhere in voice while
        the bot is not); Manage Server may always."""
        permissions = interaction.permissions
        if permissions.manage_guild or permissions.administrator:
            return
        member_channel = member_voice_channel(interaction)
        if member_channel is None:
            raise UserError("autoplay.join_voice")
        guild = interaction.guild
        me = guild.me if guild is not None else None
        bot_channel = me.voice.channel if me is not None and me.voice is not None else None
        if bot_channel is not None and bot_channel.id != member_channel:
            raise UserError("errors.join_my_channel", channel=f"<#{bot_channel.id}>")
