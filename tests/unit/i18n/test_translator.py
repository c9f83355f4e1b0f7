"""Slash commands in every locale: names and descriptions as Discord accepts them."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import pytest
from discord import app_commands

from bot.app import MusicBot
from bot.i18n import DEFAULT_LOCALE, catalog
from bot.i18n.translator import CatalogTranslator, command_keys
from bot.settings import Settings
from tests.fakes.discord_commands import validate_command_list

# Discord: 1-32 characters of letters, numbers, - and _, lowercase where a letter has a case.
NAME = re.compile(r"^[-_\w]{1,32}$")
OTHERS = [locale for locale in catalog().locales if locale != DEFAULT_LOCALE]
DISCORD_LOCALES = {"de": "de", "es": "es-ES", "fr": "fr"}


@pytest.fixture
async def tree() -> AsyncIterator[app_commands.CommandTree[Any]]:
    """The bot's command tree with the gateway's commands, as `setup_hook` builds it."""
    bot = MusicBot(Settings())
    await bot.load_extension("cogs.gateway")
    yield bot.tree
    await bot.unload_extension("cogs.gateway")
    await bot.jobs.stop()
    await bot.bus.close()


async def payloads(tree: app_commands.CommandTree[Any]) -> list[dict[str, Any]]:
    translator = CatalogTranslator()
    return [await cmd.get_translated_payload(tree, translator) for cmd in tree.get_commands()]


def _names(obj: dict[str, Any], locale: str) -> str:
    return (obj.get("name_localizations") or {}).get(locale, obj["name"])


def _problems(obj: dict[str, Any], path: str) -> list[str]:
    """What Discord would refuse in the localizations of a command or option, and below."""
    found = []
    for locale, name in (obj.get("name_localizations") or {}).items():
        if not NAME.match(name) or name != name.lower():
            found.append(f"{path} name in {locale}: {name!r}")
    for locale, text in (obj.get("description_localizations") or {}).items():
        if not 1 <= len(text) <= 100:
            found.append(f"{path} description in {locale}: {len(text)} characters")
    options = obj.get("options") or []
    for locale in DISCORD_LOCALES.values():
        names = [_names(option, locale) for option in options]
        if len(names) != len(set(names)):
            found.append(f"{path} has the same option name twice in {locale}: {names}")
    for option in options:
        found += _problems(option, f"{path} {option['name']}")
        for choice in option.get("choices") or []:
            for locale, name in (choice.get("name_localizations") or {}).items():
                if not 1 <= len(name) <= 100:
                    found.append(f"{path} choice {choice['name']!r} in {locale}")
    return found


async def test_every_command_is_translated_into_every_locale(tree: Any) -> None:
    """Each command, option and choice has its name and description in every locale."""
    keys = set(await command_keys(tree))
    for locale in OTHERS:
        assert sorted(keys - set(catalog().messages[locale])) == [], locale


async def test_command_translations_are_no_leftovers(tree: Any) -> None:
    """A locale localizes nothing the commands no longer have."""
    keys = set(await command_keys(tree))
    for locale in OTHERS:
        table = catalog().messages[locale]
        stale = [k for k in table if k.startswith(("command.", "choice.")) and k not in keys]
        assert stale == [], locale


async def test_localized_names_and_descriptions_follow_discords_rules(tree: Any) -> None:
    """Lowercase names of letters, digits, - and _ (1-32), descriptions of 1-100 characters,
    option names unique within their command in every locale."""
    problems = [p for payload in await payloads(tree) for p in _problems(payload, payload["name"])]
    assert problems == []


async def test_top_level_names_are_unique_in_every_locale(tree: Any) -> None:
    """Two commands may not share a name in any language."""
    commands = await payloads(tree)
    for locale in DISCORD_LOCALES.values():
        names = [_names(c, locale) for c in commands]
        assert len(names) == len(set(names)), locale


async def test_the_fake_discord_accepts_the_translated_commands(tree: Any) -> None:
    """The payload passes the fake's validation of Discord's form rules."""
    errors = validate_command_list(await payloads(tree))
    assert not errors, errors.summary()


async def test_english_locales_keep_the_codes_text(tree: Any) -> None:
    """en-US and en-GB get no localization: the default text is English."""
    play = next(p for p in await payloads(tree) if p["name"] == "play")
    assert play["name_localizations"]["de"] == "abspielen"
    assert play["name_localizations"]["es-419"] == play["name_localizations"]["es-ES"]
    assert "en-US" not in play["name_localizations"] and "en-GB" not in play["name_localizations"]
