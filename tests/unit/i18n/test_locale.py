"""Which language a reply is in, and how keyed texts render."""

from __future__ import annotations

import pytest

from bot import bus_codec
from bot.errors import NothingPlaying, RateLimited, UserError
from bot.i18n import AUTO, nearest_locale, resolve_locale, sentences, t
from bot.i18n.catalog import Catalog
from bot.i18n.text import plain


@pytest.mark.parametrize(
    ("discord_locale", "expected"),
    [("de", "de"), ("es-ES", "es"), ("es-419", "es"), ("fr", "fr"), ("en-US", "en"),
     ("en-GB", "en"), ("pt-BR", None), ("ja", None), ("", None)],
)
def test_discord_locales_map_to_the_nearest_catalog_locale(
    discord_locale: str, expected: str | None
) -> None:
    """A region falls back to its language; a language without a file to nothing."""
    assert nearest_locale(discord_locale) == expected


def test_the_guild_setting_wins_over_the_user_locale() -> None:
    """A guild that chose French gets French for everyone."""
    assert resolve_locale("fr", "de") == "fr"


def test_auto_follows_the_user_and_falls_back_to_english() -> None:
    """`auto` (the default) uses the member's Discord language, English when there is none."""
    assert resolve_locale(AUTO, "de") == "de"
    assert resolve_locale(AUTO, "pt-BR") == "en"
    assert resolve_locale(None, None) == "en"


def test_user_errors_keep_their_key_and_english_message() -> None:
    """`.message` stays the English text (logs, REST); `.text` renders in any locale."""
    error = NothingPlaying()
    assert error.message == "Nothing is playing."
    assert error.text.render("de") == "Gerade läuft nichts."
    assert RateLimited(2.4).text.render("es") == "Más despacio: vuelve a intentarlo en 2 s."


def test_nested_texts_and_lists_render_in_the_same_locale() -> None:
    """A `Text` parameter is rendered in the reader's locale too; a tuple becomes a list."""
    text = sentences(t("controls.paused"), t("sponsorblock.will_skip", categories=(
        t("sponsorblock.segment.sponsor"), t("sponsorblock.segment.intro"))))
    assert text.render("en") == "Paused. SponsorBlock will skip: sponsors, intros."
    assert text.render("fr") == "En pause. SponsorBlock passera : sponsors, intros."


def test_a_missing_translation_falls_back_to_english() -> None:
    """A key only English has is shown in English; an unknown key as it is."""
    messages = Catalog({"en": {"a": "Hello {name}"}, "de": {}})
    assert messages.render("de", "a", {"name": "Ada"}) == "Hello Ada"
    assert messages.render("de", "nothing.here") == "nothing.here"


def test_titles_are_never_translated() -> None:
    """Parameters such as track titles are shown as they are."""
    assert t("controls.skipped", title="Paused.").render("de") == "**Paused.** übersprungen."


def test_user_errors_cross_the_redis_bus_with_their_key() -> None:
    """The receiving gateway renders the sender's error in its reader's language."""
    sent = UserError("controls.moved", title="Song", position=3)
    received = bus_codec.decode_error(bus_codec.encode_error(sent))
    assert isinstance(received, UserError)
    assert received.text == sent.text
    assert received.text.render("es") == "He movido **Song** a la posición 3."


def test_an_error_from_a_sender_without_keys_still_shows_its_message() -> None:
    """An older process sends only English: shown as is."""
    data = bus_codec.encode_error(UserError("controls.paused"))
    data["attrs"].pop("text")
    received = bus_codec.decode_error(data)
    assert isinstance(received, UserError)
    assert received.text == plain("Paused.")
    assert received.text.render("de") == "Paused."
