"""Translations: locale files, keyed texts, locale resolution and the slash-command translator."""

from __future__ import annotations

from bot.i18n.catalog import DEFAULT_LOCALE, Catalog, catalog, tr
from bot.i18n.locale import AUTO, nearest_locale, resolve_locale
from bot.i18n.text import Text, plain, plural, sentences, t

__all__ = [
    "AUTO",
    "DEFAULT_LOCALE",
    "Catalog",
    "Text",
    "catalog",
    "nearest_locale",
    "plain",
    "plural",
    "resolve_locale",
    "sentences",
    "t",
    "tr",
]
