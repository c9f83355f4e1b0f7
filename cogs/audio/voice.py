"""The Discord side of voice for the playback service, with discord.py and mafic.Player."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any

import discord
import mafic
from loguru import logger

from bot.errors import ServiceUnavailable, UserError
from bot.gateway_budget import GatewayBudget
from bot.nodes import is_listening, nodes_by_label, pool_nodes
from bot.playback.player import MusicPlayer

if TYPE_CHECKING:
    from bot.app import MusicBot

CONNECT_TIMEOUT = 7.0  # under limits.command_timeout, so the user gets this reason


class DiscordVoice:
    """Implements `bot.playback.service.VoicePort` on the bot's guild cache."""

    def __init__(self, bot: MusicBot) -> None:
        self.bot = bot
        self.budget = GatewayBudget(bot.settings.discord.voice_joins_per_minute)

    def _guild(self, guild_id: int) -> discord.Guild | None:
        return self.bot.get_guild(guild_id)

    def player(self, guild_id: int) -> mafic.Player[Any] | None:
        """The guild's mafic player, if the bot is in voice there."""
        guild = self._guild(guild_id)
        client = guild.voice_client if guild is not None else None
        return client if isinstance(client, mafic.Player) else None

    def bot_channel(self, guild_id: int) -> int | None:
        """The voice channel the bot is in, from its own voice state."""
        guild = self._guild(guild_id)
        if guild is None:
            return None
        me = guild.me
        if me is not None:  # the gateway's own record is the truth when we have it
            return me.voice.channel.id if me.voice is not None and me.voice.channel else None
        player = self.player(guild_id)
        return player.channel.id if player is not None and player.channel is not None else None

    def node_label(self, guild_id: int) -> str | None:
        """The label of the node the guild's player is on."""
        player = self.player(guild_id)
        if player is None:
            return None
        try:
            return player.node.label
        except mafic.NoNodesAvailable:
            return None

    def has_node(self) -> bool:
        """Whether a listening node is in the pool."""
        return any(is_listening(node) for node in pool_nodes())

    def listeners(self, guild_id: int, channel_id: int) -> int:
        """Humans (not bots) in the channel."""
        return len(self.listener_ids(guild_id, channel_id))

    def listener_ids(self, guild_id: int, channel_id: int) -> frozenset[int]:
        """The humans (not bots) in the channel."""
        guild = self._guild(guild_id)
        channel = guild.get_channel(channel_id) if guild is not None else None
        if not isinstance(channel, discord.VoiceChannel | discord.StageChannel):
            return frozenset()
        return frozenset(member.id for member in channel.members if not member.bot)

    async def join_slot(self, guild_id: int) -> None:
        """Wait for a slot in the gateway budget of the guild's shard (see `GatewayBudget`)."""
        guild = self._guild(guild_id)
        await self.budget.acquire(guild.shard_id if guild is not None else 0)

    async def connect(self, guild_id: int, channel_id: int) -> mafic.Player[Any]:
        """Join the channel, or move there if already in voice, within CONNECT_TIMEOUT.

        The whole join is bounded, including the wait in discord.py's gateway rate
        limiter (about 120 sends a minute per shard), so a burst of joins fails
        fast with a clear message instead of playing a minute after the user was
        told it failed.
        """
        guild = self._guild(guild_id)
        channel = guild.get_channel(channel_id) if guild is not None else None
        if guild is None or not isinstance(channel, discord.VoiceChannel | discord.StageChannel):
            raise UserError("voice.channel_not_found")
        self._check_permissions(guild, channel)
        try:
            return await asyncio.wait_for(self._join(guild, channel), CONNECT_TIMEOUT)
        except mafic.NoNodesAvailable:
            raise ServiceUnavailable("service.no_node_yet") from None
        except TimeoutError:
            logger.warning("voice connection to {} in guild {} timed out", channel_id, guild_id)
            await self.disconnect(guild_id)
            raise ServiceUnavailable("voice.connect_timeout") from None
        except discord.ClientException as exc:
            logger.warning("voice connect refused in guild {}: {}", guild_id, exc)
            raise ServiceUnavailable("voice.join_failed") from None

    async def _join(
        self, guild: discord.Guild, channel: discord.VoiceChannel | discord.StageChannel
    ) -> mafic.Player[Any]:
        player = self.player(guild.id)
        if player is not None:
            await guild.change_voice_state(channel=channel, self_deaf=True)
            return player
        me = guild.me
        if me is not None and me.voice is not None and me.voice.channel is not None:
            # A voice state left over from before a restart: Discord has no voice
            # session for us any more, so leave first (and wait for it) to get a fresh one.
            await self._leave_stale_voice(guild, me)
        return await channel.connect(cls=MusicPlayer, timeout=CONNECT_TIMEOUT, self_deaf=True)

    async def _leave_stale_voice(self, guild: discord.Guild, me: discord.Member) -> None:
        await self._until_out_of_voice(guild, guild.change_voice_state(channel=None))

    async def _until_out_of_voice(self, guild: discord.Guild, leave: Awaitable[Any]) -> None:
        """Run `leave` and wait until Discord confirms the bot is out of voice in `guild`.

        Waiting matters: a join sent before the old leave's VOICE_STATE_UPDATE
        arrives would have its new player torn down by that late update.
        """
        me = guild.me

        def left(member: discord.Member, _b: discord.VoiceState, after: discord.VoiceState) -> bool:
            return member.guild.id == guild.id and member.id == getattr(me, "id", None) and (
                after.channel is None
            )

        waiter = asyncio.ensure_future(
            self.bot.wait_for("voice_state_update", check=left, timeout=CONNECT_TIMEOUT)
        )
        try:
            await leave
            if me is None or me.voice is None or me.voice.channel is None:
                return  # already confirmed (or nothing to wait for)
            await waiter
        except TimeoutError:
            logger.warning("Discord did not confirm leaving voice in guild {}", guild.id)
        finally:
            waiter.cancel()

    @staticmethod
    def _check_permissions(
        guild: discord.Guild, channel: discord.VoiceChannel | discord.StageChannel
    ) -> None:
        me = guild.me
        if me is None:
            return  # not cached yet: Discord will refuse if we may not join
        perms = channel.permissions_for(me)
        if not perms.view_channel or not perms.connect:
            raise UserError("voice.no_connect", channel=channel.mention)
        if not perms.speak:
            raise UserError("voice.no_speak", channel=channel.mention)
        full = channel.user_limit and len(channel.members) >= channel.user_limit
        if full and not perms.move_members:
            raise UserError("voice.full", channel=channel.mention)

    async def disconnect(self, guild_id: int) -> None:
        """Leave voice (mafic destroys the Lavalink player) and wait until Discord confirms.

        When the player's node is gone, mafic's disconnect fails at the DELETE
        before leaving voice; then the player is cleaned up and voice left here,
        so a later connect starts from nothing.
        """
        player = self.player(guild_id)
        guild = self._guild(guild_id)
        if player is None or guild is None:
            return
        await self._until_out_of_voice(guild, self._leave(guild, player))

    async def _leave(self, guild: discord.Guild, player: mafic.Player[Any]) -> None:
        try:
            node = player.node
        except mafic.NoNodesAvailable:
            node = None
        # A node the watchdog closed must not be called: mafic would open a new HTTP
        # session on it (never closed) just to DELETE a player that is gone anyway.
        if node is not None and nodes_by_label().get(node.label) is node:
            try:
                await asyncio.wait_for(player.disconnect(force=True), CONNECT_TIMEOUT)
                return
            except Exception as exc:  # a dead node fails in many ways (aiohttp, mafic, timeout)
                logger.info(
                    "disconnect in guild {} did not complete ({}); cleaning up",
                    guild.id,
                    type(exc).__name__,
                )
        player.cleanup()
        try:
            await guild.change_voice_state(channel=None)
        except (discord.HTTPException, discord.ClientException, ConnectionError) as exc:
            logger.warning("could not leave voice in guild {}: {}", guild.id, exc)
