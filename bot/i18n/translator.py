"""Slash commands in the user's language: discord.py's `Translator` over the catalog.

Keys follow the command tree: `command.<group>.<name>.name` and `.description`,
`command.<...>.option.<option>.name` and `.description`; choices name their key
with `localized_choice`. English is the code's own text, so English locales get
no localization.
"""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands
from discord.app_commands import TranslationContextLocation as Where

from bot.i18n.catalog import DEFAULT_LOCALE, Catalog, catalog
from bot.i18n.locale import nearest_locale

__all__ = ["CatalogTranslator", "command_keys", "localized_choice", "translation_key"]

CHOICE_KEY = "key"


def localized_choice(key: str, name: str, value: Any) -> app_commands.Choice[Any]:
    """A choice whose shown name is translated from the catalog's `key`."""
    return app_commands.Choice(name=app_commands.locale_str(name, **{CHOICE_KEY: key}), value=value)


def _command_key(command: Any) -> str:
    return "command." + command.qualified_name.replace(" ", ".")


def translation_key(
    string: app_commands.locale_str, context: app_commands.TranslationContextTypes
) -> str | None:
    """The catalog key for a string of the command tree, or None for one not translated."""
    where, data = context.location, context.data
    if where in (Where.command_name, Where.group_name):
        return _command_key(data) + ".name"
    if where in (Where.command_description, Where.group_description):
        return _command_key(data) + ".description"
    if where is Where.parameter_name:
        assert isinstance(data, app_commands.Parameter)
        return f"{_command_key(data.command)}.option.{data.name}.name"
    if where is Where.parameter_description:
        assert isinstance(data, app_commands.Parameter)
        return f"{_command_key(data.command)}.option.{data.name}.description"
    if where is Where.choice_name:
        key = string.extras.get(CHOICE_KEY)
        return str(key) if key else None
    return None


class CatalogTranslator(app_commands.Translator):
    """Names, descriptions, options and choices from the catalog's `command.*`/`choice.*` keys."""

    def __init__(self, messages: Catalog | None = None) -> None:
        self._catalog = messages or catalog()

    async def translate(
        self,
        string: app_commands.locale_str,
        locale: discord.Locale,
        context: app_commands.TranslationContextTypes,
    ) -> str | None:
        """The translation for one Discord locale; None keeps the English text."""
        target = nearest_locale(locale.value)
        if target is None or target == DEFAULT_LOCALE:
            return None
        key = translation_key(string, context)
        return self._catalog.lookup(target, key) if key else None


class _KeyRecorder(app_commands.Translator):
    """Notes every key the tree asks for, with its English text; translates nothing."""

    def __init__(self) -> None:
        self.keys: dict[str, str] = {}

    async def translate(
        self,
        string: app_commands.locale_str,
        locale: discord.Locale,
        context: app_commands.TranslationContextTypes,
    ) -> str | None:
        key = translation_key(string, context)
        if key is not None and locale is discord.Locale.german:
            self.keys[key] = string.message
        return None


async def command_keys(tree: app_commands.CommandTree[Any]) -> dict[str, str]:
    """Every catalog key the slash commands of `tree` use, with the English text it localizes."""
    recorder = _KeyRecorder()
    for command in tree.get_commands():
        await command.get_translated_payload(tree, recorder)
    return recorder.keys
