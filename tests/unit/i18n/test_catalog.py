"""The locale files: every locale says everything English says, with the same placeholders,
and the code asks only for keys that exist (and every key is asked for somewhere)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.i18n import DEFAULT_LOCALE, catalog
from bot.i18n.catalog import placeholders

ROOT = Path(__file__).resolve().parents[3]
SOURCES = [*sorted((ROOT / "bot").rglob("*.py")), *sorted((ROOT / "cogs").rglob("*.py"))]
COMMAND_TABLES = ("command.", "choice.")
# Calls whose first argument is shown to people: a literal there must be a catalog key.
TEXT_CALLS = {"UserError", "ServiceUnavailable", "LoadFailed", "UnsafeLink", "t", "tr", "Text"}

ENGLISH = catalog().messages[DEFAULT_LOCALE]
OTHERS = [locale for locale in catalog().locales if locale != DEFAULT_LOCALE]


def _string_constants() -> Iterator[tuple[Path, ast.Constant]]:
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                yield path, node


def _text_call_arguments() -> Iterator[tuple[Path, int, str]]:
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
            first = node.args[0] if name != "tr" else (node.args[1:2] or [None])[0]
            if (
                name in TEXT_CALLS
                and isinstance(first, ast.Constant)
                and isinstance(first.value, str)
            ):
                yield path, node.lineno, first.value


def test_there_are_english_and_at_least_three_more_locales() -> None:
    """English plus German, Spanish and French at least."""
    assert {"en", "de", "es", "fr"} <= set(catalog().locales)


def test_english_holds_no_command_text() -> None:
    """Slash-command English lives in the code; en.toml has only replies."""
    assert not [key for key in ENGLISH if key.startswith(COMMAND_TABLES)]


@pytest.mark.parametrize("locale", OTHERS)
def test_every_reply_key_is_in_every_locale(locale: str) -> None:
    """The same reply keys as English: none missing, none extra."""
    replies = {k for k in catalog().messages[locale] if not k.startswith(COMMAND_TABLES)}
    assert sorted(set(ENGLISH) - replies) == []
    assert sorted(replies - set(ENGLISH)) == []


@pytest.mark.parametrize("locale", OTHERS)
def test_placeholders_match_english(locale: str) -> None:
    """A translation fills in exactly the values the English text does."""
    table = catalog().messages[locale]
    wrong = {
        key: (sorted(placeholders(ENGLISH[key])), sorted(placeholders(table[key])))
        for key in ENGLISH
        if key in table and placeholders(ENGLISH[key]) != placeholders(table[key])
    }
    assert wrong == {}


def test_every_text_the_code_shows_is_a_catalog_key() -> None:
    """`UserError("...")`, `t("...")` and friends name keys, not English sentences."""
    unknown = [
        f"{path.relative_to(ROOT)}:{line}: {value!r}"
        for path, line, value in _text_call_arguments()
        if value not in ENGLISH
    ]
    assert unknown == []


def test_every_catalog_key_is_used_by_the_code() -> None:
    """No orphan: each English key appears literally somewhere in bot/ or cogs/."""
    used = {node.value for _, node in _string_constants()}
    assert sorted(set(ENGLISH) - used) == []

