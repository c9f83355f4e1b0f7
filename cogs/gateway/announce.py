"""Posting the audio side's announcements in a guild's music channel, in the guild's language."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from loguru import logger

from bot.i18n import Text
from bot.i18n.reader import guild_locale
from cogs.gateway import render

if TYPE_CHECKING:
    from bot.app import MusicBot


async def announce(
    bot: MusicBot,
    guild_id: int,
    channel_id: int | None,
    message: Text,
    *,
    delete_after: float | None = None,
) -> None:
    """Post `message` as a one-line embed (nowhere without a channel); a refusal is logged."""
    if channel_id is None:
        return
    text = message.render(await guild_locale(bot, guild_id))
    channel = bot.get_partial_messageable(channel_id, guild_id=guild_id)
    # discord.py types `delete_after` as a float; leaving it out means "keep the message".
    lifetime: dict[str, Any] = {} if delete_after is None else {"delete_after": delete_after}
    try:
        await channel.send(embed=render.message_embed(render.clip(text, 4000)), **lifetime)
    except discord.HTTPException as exc:
        logger.warning("could not post in channel {}: {}", channel_id, exc)
