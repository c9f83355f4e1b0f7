"""Whose language a reply is in: the guild's language setting, else the reader's Discord locale.

An interaction's locale is resolved once and kept in `interaction.extras`, so
the error path never waits on the database a second time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from loguru import logger

from bot.db.errors import DatabaseUnavailableError
from bot.i18n.locale import AUTO, resolve_locale

if TYPE_CHECKING:
    from bot.app import MusicBot

__all__ = [
    "forget_locale",
    "guild_language",
    "guild_locale",
    "interaction_locale",
    "known_locale",
]

_EXTRAS_KEY = "locale"


async def guild_language(bot: MusicBot, guild_id: int | None) -> str:
    """The guild's `language` setting; `auto` when there is none or it can't be read."""
    if guild_id is None:
        return AUTO
    try:
        return (await bot.guild_policy(guild_id)).language
    except (DatabaseUnavailableError, TimeoutError) as exc:
        logger.debug("guild {} language unknown ({}); following the user", guild_id, exc)
        return AUTO


async def interaction_locale(interaction: discord.Interaction[Any]) -> str:
    """The catalog locale for replies to this interaction (resolved once, then remembered)."""
    known = interaction.extras.get(_EXTRAS_KEY)
    if isinstance(known, str):
        return known
    bot: MusicBot = interaction.client
    language = await guild_language(bot, interaction.guild_id)
    locale = resolve_locale(language, interaction.locale.value)
    interaction.extras[_EXTRAS_KEY] = locale
    return locale


def forget_locale(interaction: discord.Interaction[Any]) -> None:
    """Resolve the locale again next time (the guild's language just changed)."""
    interaction.extras.pop(_EXTRAS_KEY, None)


def known_locale(interaction: discord.Interaction[Any]) -> str:
    """The locale already resolved for this interaction, else the user's own (no database)."""
    known = interaction.extras.get(_EXTRAS_KEY)
    return known if isinstance(known, str) else resolve_locale(None, interaction.locale.value)


async def guild_locale(bot: MusicBot, guild_id: int) -> str:
    """The locale for messages to a whole guild (announcements, now playing).

    Nobody in particular reads them: the guild's language setting, else the
    server's own preferred locale (community servers set it), else English.
    """
    language = await guild_language(bot, guild_id)
    guild = bot.get_guild(guild_id)
    preferred = guild.preferred_locale.value if guild is not None else None
    return resolve_locale(language, preferred)
