"""Which catalog locale a reply uses: the guild's language, else the user's, else English."""

from __future__ import annotations

from bot.i18n.catalog import DEFAULT_LOCALE, catalog

__all__ = ["AUTO", "language_choices", "nearest_locale", "resolve_locale"]

AUTO = "auto"
"""The guild language setting that follows each member's Discord language."""


def nearest_locale(tag: str | None) -> str | None:
    """The catalog locale closest to a Discord locale (`de`, `es-ES`, `pt-BR`), or None.

    An exact match wins; otherwise the language without its region (`es-419` → `es`).
    """
    if not tag:
        return None
    locales = catalog().locales
    for candidate in (tag, tag.split("-")[0].lower()):
        if candidate in locales:
            return candidate
    return None


def resolve_locale(guild_language: str | None, user_locale: str | None) -> str:
    """The locale for a reply: a guild's chosen language, else the user's, else English."""
    if guild_language and guild_language != AUTO:
        chosen = nearest_locale(guild_language)
        if chosen is not None:
            return chosen
    return nearest_locale(user_locale) or DEFAULT_LOCALE


def language_choices() -> tuple[str, ...]:
    """What the guild `language` setting accepts: `auto` and every catalog locale."""
    return (AUTO, *catalog().locales)
