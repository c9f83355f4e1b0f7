"""A text for people as a catalog key and its parameters, rendered where the reader is known.

The audio side answers with `Text` values (in `Done`, in errors, in events);
the gateway renders them in the guild's or the user's language. Parameters
may be `Text` themselves (rendered in the same language), tuples of them
(rendered as a comma-separated list) or plain values,
such as track titles, which are never translated.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.i18n.catalog import DEFAULT_LOCALE, catalog

__all__ = ["Text", "plain", "plural", "sentences", "t"]


@dataclass(frozen=True)
class Text:
    """A catalog key with its parameters (name, value) pairs; crosses the bus as data."""

    key: str
    params: tuple[tuple[str, Any], ...] = ()

    def render(self, locale: str) -> str:
        """The text in `locale` (English where that locale lacks it)."""
        values = {name: _rendered(value, locale) for name, value in self.params}
        return catalog().render(locale, self.key, values)

    @property
    def english(self) -> str:
        """The English rendering, for logs and the REST API."""
        return self.render(DEFAULT_LOCALE)

    def __str__(self) -> str:
        return self.english


def _rendered(value: Any, locale: str) -> Any:
    """A parameter as shown: a `Text` in `locale`, a tuple of them as a list, else as is."""
    if isinstance(value, Text):
        return value.render(locale)
    if isinstance(value, tuple):
        return ", ".join(str(_rendered(item, locale)) for item in value)
    return value


def t(key: str, /, **params: Any) -> Text:
    """`Text(key, params)`: `t("controls.volume_set", level=80)`."""
    return Text(key, tuple(params.items()))


def plain(text: str) -> Text:
    """Text that has no translation (a sender without keys, an outside message), shown as is."""
    return t("common.raw", value=text)


def plural(count: int, one: str, many: str, /, **params: Any) -> Text:
    """The `one` key for a count of 1, else `many`; both get `count`."""
    return t(one if count == 1 else many, count=count, **params)


def sentences(first: Text, *more: Text) -> Text:
    """Texts shown one after the other, as one."""
    if not more:
        return first
    return t("common.sentences", first=first, then=sentences(*more))
