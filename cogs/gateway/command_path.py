"""The one command path of the Discord side: member's voice channel → bus command → answer."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import discord

from bot import audio_commands as ac
from bot.bus import Channel
from bot.command_tree import defer_public
from bot.errors import UserError
from bot.i18n.reader import interaction_locale
from bot.music.permissions import MemberRights
from cogs.gateway import render

if TYPE_CHECKING:
    from bot.app import MusicBot

DEFER_AFTER = 2.0  # seconds; Discord's deadline for the first answer is 3


def member_voice_channel(interaction: discord.Interaction[Any]) -> int | None:
    """The voice channel the invoking member is in, from the gateway's voice states.

    `Member.voice` reads the guild's voice-state cache (kept by the voice_states
    intent), so this works without the privileged members intent.
    """
    user = interaction.user
    if isinstance(user, discord.Member) and user.voice is not None and user.voice.channel:
        return user.voice.channel.id
    return None


def member_rights(interaction: discord.Interaction[Any]) -> MemberRights:
    """The invoking member's roles, and whether they administer the server.

    `interaction.permissions` are the member's resolved permissions that Discord
    sends with every interaction (the server owner and Administrator have all).
    """
    permissions = interaction.permissions
    user = interaction.user
    return MemberRights(
        is_admin=permissions.administrator or permissions.manage_guild,
        role_ids=tuple(role.id for role in user.roles) if isinstance(user, discord.Member) else (),
    )


async def ask_audio(bot: MusicBot, command: Any, *, timeout: float | None = None) -> Any:
    """Send a command on `discord-bot:commands` and wait for the audio side's answer."""
    return await bot.bus.request(
        Channel.COMMANDS, command, timeout=timeout or bot.settings.limits.command_timeout
    )


def voice_command(interaction: discord.Interaction[Any], cls: type, **fields: Any) -> Any:
    """Build a command for the invoking member, with where they are in voice."""
    if interaction.guild_id is None:
        raise UserError("errors.guild_only")
    return cls(
        guild_id=interaction.guild_id,
        user_id=interaction.user.id,
        channel_id=interaction.channel_id,
        voice_channel_id=member_voice_channel(interaction),
        rights=member_rights(interaction),
        command_id=str(interaction.id),
        **fields,
    )


async def run_voice_command(
    bot: MusicBot, interaction: discord.Interaction[Any], cls: type, **fields: Any
) -> None:
    """The common shape of a control command: ask, then answer with the result's message.

    Discord wants the first answer within 3 s: when the audio side has not
    answered after DEFER_AFTER seconds (a node reconnecting, a slow database),
    the reply is deferred and filled in when the answer comes.
    """
    task = asyncio.ensure_future(ask_audio(bot, voice_command(interaction, cls, **fields)))
    try:
        done: ac.Done = await asyncio.wait_for(asyncio.shield(task), DEFER_AFTER)
    except TimeoutError:
        await defer_public(interaction)
        done = await task
    embed = render.message_embed(done.text.render(await interaction_locale(interaction)))
    if interaction.response.is_done():
        await interaction.edit_original_response(embed=embed)
    else:
        await interaction.response.send_message(embed=embed)
