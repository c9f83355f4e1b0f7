"""/stats: a server's top tracks, top requesters and listening time, and the per-user opt-out."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot import audio_commands as ac
from bot.i18n.reader import interaction_locale
from bot.i18n.translator import localized_choice
from cogs.gateway import render
from cogs.gateway.command_path import ask_audio
from cogs.gateway.library_render import stats_embed

if TYPE_CHECKING:
    from bot.app import MusicBot

PERIODS = [
    localized_choice("choice.stats.week", "Last 7 days", 7),
    localized_choice("choice.stats.month", "Last 30 days", 30),
    localized_choice("choice.stats.all", "All recorded history", 0),
]


class StatsCommands(commands.Cog, name="stats"):
    """The /stats group."""

    stats = app_commands.Group(
        name="stats", description="What this server listens to", guild_only=True
    )

    def __init__(self, bot: MusicBot) -> None:
        self.bot = bot

    async def _ask(self, interaction: discord.Interaction[Any], cls: type, **fields: Any) -> Any:
        return await ask_audio(
            self.bot,
            cls(
                guild_id=interaction.guild_id or 0,
                user_id=interaction.user.id,
                channel_id=interaction.channel_id,
                **fields,
            ),
        )

    @stats.command(name="show", description="Top tracks, top requesters and listening time")
    @app_commands.describe(period="How far back to look")
    @app_commands.choices(period=PERIODS)
    async def show(
        self, interaction: discord.Interaction[Any], period: app_commands.Choice[int] | None = None
    ) -> None:
        """The server's stats; members who opted out are left out."""
        days = period.value if period is not None else 30
        report: ac.StatsReport = await self._ask(interaction, ac.ShowStats, days=days or None)
        locale = await interaction_locale(interaction)
        await interaction.response.send_message(embed=stats_embed(report, locale))

    @stats.command(name="optout", description="Leave your plays out of /stats")
    async def optout(self, interaction: discord.Interaction[Any]) -> None:
        """Opt out everywhere the bot is."""
        await self._opt(interaction, opted_out=True)

    @stats.command(name="optin", description="Count your plays in /stats again")
    async def optin(self, interaction: discord.Interaction[Any]) -> None:
        """Undo /stats optout."""
        await self._opt(interaction, opted_out=False)

    async def _opt(self, interaction: discord.Interaction[Any], *, opted_out: bool) -> None:
        done: ac.Done = await self._ask(interaction, ac.SetStatsOptOut, opted_out=opted_out)
        text = done.text.render(await interaction_locale(interaction))
        await interaction.response.send_message(embed=render.message_embed(text), ephemeral=True)
