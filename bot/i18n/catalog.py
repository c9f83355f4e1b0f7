"""The message catalog: one TOML file per locale under `locales/`, flattened to dotted keys.

English (`en`) is the reference: every other locale has the same reply keys
with the same placeholders, plus the `command.*` and `choice.*` keys that
localize the slash commands (whose English text lives in the code).
"""

from __future__ import annotations

import string
import tomllib
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import Any

from loguru import logger

__all__ = ["DEFAULT_LOCALE", "LOCALES_DIR", "Catalog", "catalog", "placeholders", "tr"]

DEFAULT_LOCALE = "en"
LOCALES_DIR = Path(__file__).parent / "locales"


def _flatten(table: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, str]]:
    for name, value in table.items():
        key = f"{prefix}{name}"
        if isinstance(value, Mapping):
            yield from _flatten(value, key + ".")
        elif isinstance(value, str):
            yield key, value
        else:
            raise ValueError(f"{key}: a translation must be text, not {type(value).__name__}")


def placeholders(template: str) -> frozenset[str]:
    """The names of the `{placeholders}` in a template."""
    return frozenset(
        field.split(".")[0].split("[")[0]
        for _, field, _, _ in string.Formatter().parse(template)
        if field
    )


class Catalog:
    """Every locale's messages; renders a key for a locale, falling back to English."""

    def __init__(self, messages: Mapping[str, Mapping[str, str]]) -> None:
        if DEFAULT_LOCALE not in messages:
            raise ValueError(f"the catalog needs the {DEFAULT_LOCALE!r} locale")
        self.messages = {locale: dict(table) for locale, table in messages.items()}

    @classmethod
    def load(cls, directory: Path = LOCALES_DIR) -> Catalog:
        """Read every `<locale>.toml` in `directory`."""
        messages = {}
        for path in sorted(directory.glob("*.toml")):
            with path.open("rb") as file:
                messages[path.stem] = dict(_flatten(tomllib.load(file)))
        return cls(messages)

    @property
    def locales(self) -> tuple[str, ...]:
        """The locales with a file, English first."""
        return (DEFAULT_LOCALE, *sorted(set(self.messages) - {DEFAULT_LOCALE}))

    def lookup(self, locale: str, key: str) -> str | None:
        """The template for `key` in exactly `locale`, or None."""
        return self.messages.get(locale, {}).get(key)

    def render(self, locale: str, key: str, params: Mapping[str, Any] | None = None) -> str:
        """`key` in `locale` (else English) with `params` filled in.

        A key no locale knows is shown as it is: text that was never put in the
        catalog still reaches the user rather than failing the command.
        """
        template = self.lookup(locale, key) or self.lookup(DEFAULT_LOCALE, key)
        if template is None:
            logger.warning("no translation for {!r}", key)
            return key
        try:
            return template.format(**(params or {}))
        except (KeyError, IndexError, ValueError) as exc:
            logger.error("bad parameters for {!r} in {}: {!r}", key, locale, exc)
            return template


@cache
def catalog() -> Catalog:
    """The bot's catalog, loaded once."""
    return Catalog.load()


def tr(locale: str, key: str, /, **params: Any) -> str:
    """`key` rendered in `locale` with `params` (see `Catalog.render`)."""
    return catalog().render(locale, key, params)
