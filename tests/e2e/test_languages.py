"""Languages through the fakes: replies in the member's Discord language unless the server chose
one, and slash commands synced with their translations."""

from __future__ import annotations

import pytest

from bot.db.errors import InvalidSettingError
from tests.e2e.harness import Harness, answer
from tests.e2e.test_play import embed_text
from tests.e2e.test_settings import owner, settings


async def test_a_german_member_gets_german_errors(h: Harness) -> None:
    """Nothing is playing: a member whose Discord is in German reads it in German."""
    await h.join()
    german = await h.reply("pause", locale="de")
    assert german["ephemeral"] and german["content"] == "Gerade läuft nichts."
    english = await h.reply("pause")
    assert english["content"] == "Nothing is playing."


async def test_a_german_member_queues_a_track_in_german(h: Harness) -> None:
    """The /play answer names the track as it is, around German words."""
    (url,) = h.add_tracks(1)
    await h.join()
    message = await h.reply("play", query=url, locale="de")
    assert message["embeds"][0]["title"] == "Läuft gerade"
    assert "Track T1" in embed_text(message)
    await h.playing("t1")
    queued = await h.reply("play", query=url, locale="fr")
    assert queued["embeds"][0]["title"] == "Ajouté en position 1"


async def test_the_server_language_wins_over_the_members(h: Harness) -> None:
    """After /settings set language: es, the German member reads Spanish; auto restores German."""
    await h.join()
    changed = await settings(h, "set", language="es")
    assert changed["embeds"][0]["title"] == "Ajustes actualizados"
    assert (await h.reply("pause", locale="de"))["content"] == "No está sonando nada."
    assert (await h.reply("pause"))["content"] == "No está sonando nada."
    shown = await settings(h, "show")
    assert {"name": "Idioma", "value": "Español", "inline": True} in shown["embeds"][0]["fields"]
    await settings(h, "set", language="auto")
    assert (await h.reply("pause", locale="de"))["content"] == "Gerade läuft nichts."


async def test_resetting_the_language_follows_each_member_again(h: Harness) -> None:
    """A French server reset to the default answers the reset in the owner's own language."""
    assert h.bot.guild_settings is not None
    await h.bot.guild_settings.update(h.world.guild.id, language="fr")
    assert (await h.reply("pause", locale="de"))["content"] == "Tu dois être dans un salon vocal."
    reset = await settings(h, "reset", user=owner(h), setting="language")
    assert reset["embeds"][0]["title"] == "Settings updated"
    assert (await h.bot.guild_settings.get(h.world.guild.id)).language == "auto"


async def test_only_catalog_languages_are_accepted(h: Harness) -> None:
    """The store refuses a language without a locale file, naming the option."""
    assert h.bot.guild_settings is not None
    with pytest.raises(InvalidSettingError) as refused:
        await h.bot.guild_settings.update(h.world.guild.id, language="pt-BR")
    assert refused.value.field == "language"
    assert refused.value.reason == "must be one of auto, en, de, es, fr"


async def test_commands_are_synced_with_their_translations(h: Harness) -> None:
    """The sync payload Discord receives carries name and description localizations."""
    _scope, payload = h.discord.command_syncs[-1]
    play = next(c for c in payload if c["name"] == "play")
    assert play["name_localizations"]["de"] == "abspielen"
    assert play["name_localizations"]["es-ES"] == "reproducir"
    assert play["description_localizations"]["fr"].startswith("Jouer")
    query = play["options"][0]
    assert query["name_localizations"]["de"] == "suche"
    loop = next(c for c in payload if c["name"] == "loop")
    choices = {ch["value"]: ch["name_localizations"]["de"] for ch in loop["options"][0]["choices"]}
    assert choices == {"off": "aus", "track": "Titel", "queue": "Warteschlange"}


async def test_a_refused_setting_is_explained_in_the_readers_language(h: Harness) -> None:
    """The store's reason for refusing a value is translated too; the option keeps its name."""
    interaction = await h.discord.slash(
        "settings",
        user=owner(h),
        guild=h.world.guild,
        channel=h.world.text,
        subcommand="set",
        options={"max_track_length": "200:00:00"},
        locale="de",
    )
    message = await answer(interaction)
    assert message["content"] == (
        "`max_track_length` (in Sekunden) muss eine ganze Zahl von 1 bis 604800 sein."
    )
