"""/lyrics through the fakes: pages from the node's LavaLyrics plugin, or why there are none."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.e2e.harness import Harness, harness
from tests.e2e.test_controls import start_playing


@pytest.fixture
async def ly(tmp_path: Path) -> AsyncIterator[Harness]:
    """The harness with a Lavalink that has the LavaLyrics plugin."""
    async with harness(tmp_path, start=False) as h:
        h.lavalink.add_plugin("lavalyrics-plugin", "1.0.0")
        await h.start()
        yield h


async def test_lyrics_are_shown_in_pages(ly: Harness) -> None:
    """Long lyrics come a page at a time; ▶ turns to the next page."""
    await start_playing(ly, 1)
    verses = [f"Verse {v} line {n}" for v in range(1, 9) for n in range(1, 9)]
    ly.lavalink.add_lyrics("t1", verses, source_name="spotify", provider="MusixMatch")
    interaction = await ly.slash("lyrics")
    first = await interaction.wait_final()
    embed = first["embeds"][0]
    assert embed["title"] == "Lyrics: Track T1"
    assert embed["description"].startswith("Verse 1 line 1")
    assert embed["footer"]["text"].startswith("Page 1/")
    assert "spotify · MusixMatch" in embed["footer"]["text"]
    pages = int(embed["footer"]["text"].split("/")[1].split(" ")[0])
    assert pages >= 2
    click = await ly.discord.click(first, "lyrics:forward", user=ly.world.alice)
    await click.wait_response()
    turned = await ly.discord.wait_for_message(
        ly.world.text,
        lambda m: m["id"] == first["id"] and "Page 2/" in m["embeds"][0]["footer"]["text"],
    )
    assert "Verse 1 line 1" not in turned["embeds"][0]["description"]
    request = next(r for r in ly.lavalink.requests if r.path.endswith("/track/lyrics"))
    assert request.method == "GET" and request.status == 200


async def test_no_lyrics_found(ly: Harness) -> None:
    """The plugin found nothing (204): said so, naming the track."""
    await start_playing(ly, 1)
    message = await ly.reply("lyrics")
    assert "couldn't find lyrics for **Track T1**" in message["content"]


async def test_node_without_a_lyrics_plugin(h: Harness) -> None:
    """No LavaLyrics on the node: a clear message and no request to a missing route."""
    await start_playing(h, 1)
    message = await h.reply("lyrics")
    assert "no lyrics plugin" in message["content"] and message["ephemeral"]
    assert not [r for r in h.lavalink.requests if "lyrics" in r.path]


async def test_lavasrc_alone_does_not_serve_lyrics(tmp_path: Path) -> None:
    """LavaSrc without LavaLyrics: the message says which plugin is missing."""
    async with harness(tmp_path, start=False) as h:
        h.lavalink.add_plugin("lavasrc-plugin", "4.2.0")
        await h.start()
        await start_playing(h, 1)
        message = await h.reply("lyrics")
        assert "LavaSrc but not the LavaLyrics plugin" in message["content"]


async def test_lyrics_need_something_playing(ly: Harness) -> None:
    """Nothing playing: the usual answer."""
    message = await ly.reply("lyrics")
    assert message["content"] == "Nothing is playing."
