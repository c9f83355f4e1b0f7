"""The Discord front end: /ping, voice events to the audio side, audio events to channels."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.audio_commands import Ping, PingResult
from bot.bus import Channel, Subscription
from bot.command_tree import record_command
from bot.events import NodeLost, QueueEnded, TrackFailed, VoiceMembersChanged
from bot.i18n import t, tr
from bot.i18n.reader import interaction_locale
from cogs.gateway import render
from cogs.gateway.announce import announce
from cogs.gateway.command_path import ask_audio
from cogs.gateway.now_playing import NowPlayingMessages

if TYPE_CHECKING:
    from bot.app import MusicBot


class GatewayCog(commands.Cog, name="gateway"):
    """Relays between Discord and the bus; owns the now-playing messages."""

    def __init__(self, bot: MusicBot) -> None:
        self.bot = bot
        self.now_playing = NowPlayingMessages(
            bot, min_interval=lambda: bot.settings.limits.now_playing_min_edit_s
        )
        self._subscriptions: list[Subscription] = []

    async def cog_load(self) -> None:
        """Subscribe to the audio side's channels; register the persistent controller."""
        self.bot.add_view(self.now_playing.view)
        self._subscriptions = [
            self.bot.bus.subscribe(Channel.UI_NOW, self.now_playing.on_update, name="now-playing"),
            self.bot.bus.subscribe(Channel.TO_DISCORD, self.on_audio_event, name="gateway"),
        ]
        self.bot.jobs.every(
            self.bot.settings.limits.now_playing_refresh_s,
            "now-playing-refresh",
            self.now_playing.refresh,
        )

    async def cog_unload(self) -> None:
        """Unsubscribe and stop pending edits."""
        await self.bot.jobs.cancel("now-playing-refresh")
        for sub in self._subscriptions:
            await self.bot.bus.unsubscribe(sub)
        await self.now_playing.close()

    @commands.Cog.listener()
    async def on_app_command_completion(
        self, interaction: discord.Interaction[Any], _command: Any
    ) -> None:
        """Count every slash command that finished without an error."""
        record_command(interaction, "ok")

    @commands.Cog.listener()
    async def on_voice_state_update(
        self, member: discord.Member, before: discord.VoiceState, after: discord.VoiceState
    ) -> None:
        """Tell the audio side who joined, left or moved (including the bot itself)."""
        before_id = before.channel.id if before.channel else None
        after_id = after.channel.id if after.channel else None
        if before_id == after_id:
            return
        await self.bot.bus.publish(
            Channel.TO_AUDIO,
            VoiceMembersChanged(
                guild_id=member.guild.id,
                user_id=member.id,
                before_channel_id=before_id,
                after_channel_id=after_id,
                is_self=self.bot.user is not None and member.id == self.bot.user.id,
            ),
        )

    async def on_audio_event(self, event: Any) -> None:
        """Post the audio side's announcements in the guild's music channel, in its language."""
        if isinstance(event, TrackFailed):
            title = render.clip(render.escape(event.title), 100)
            message = t("events.track_failed", title=title, reason=event.reason)
        elif isinstance(event, QueueEnded | NodeLost):
            message = event.reason
        else:
            return
        await announce(self.bot, event.guild_id, event.text_channel_id, message)

    @app_commands.command(name="ping", description="Check that the bot and its music nodes answer")
    async def ping(self, interaction: discord.Interaction[Any]) -> None:
        """Gateway latency plus the state of every Lavalink node, via the audio side."""
        result: PingResult = await ask_audio(
            self.bot, Ping(guild_id=interaction.guild_id or 0, user_id=interaction.user.id)
        )
        locale = await interaction_locale(interaction)
        embed = discord.Embed(title=tr(locale, "ping.title"), colour=discord.Colour.green())
        latency = self.bot.latency
        with contextlib.suppress(ValueError, OverflowError):
            embed.add_field(name=tr(locale, "ping.gateway"), value=f"{latency * 1000:.0f} ms")
        nodes = "\n".join(
            f"{'🟢' if n.available else '🔴'} "
            + tr(locale, "ping.node", label=n.label, players=n.players)
            for n in result.nodes
        )
        embed.add_field(
            name=tr(locale, "ping.nodes"), value=nodes or tr(locale, "ping.no_nodes"), inline=False
        )
        await interaction.response.send_message(embed=embed, ephemeral=True)
