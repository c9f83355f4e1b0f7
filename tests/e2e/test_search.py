"""Search through the fakes: sources, the search cache, throttling and quality ranking."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from tests.e2e.harness import Harness, answer, harness
from tests.e2e.test_play import embed_text

QUERY = "daft punk one more time"


def loads(h: Harness, since: int = 0) -> list[str]:
    """The identifiers the bot asked Lavalink to load, in order."""
    return [
        r.query["identifier"] for r in h.lavalink.requests[since:] if r.path == "/v4/loadtracks"
    ]


def add_one_more_time_results(h: Harness) -> None:
    """What YouTube tends to list for the query: variants and re-uploads above the original."""
    h.lavalink.add_track(
        title="Nightcore - One More Time", author="Nightcore Tunes", identifier="nightcore"
    )
    h.lavalink.add_track(
        title="Daft Punk - One More Time (Lyrics)", author="7clouds", identifier="lyrics"
    )
    h.lavalink.add_track(
        title="Daft Punk - One More Time", author="Random Uploads", identifier="reupload"
    )
    h.lavalink.add_track(
        title="One More Time",
        author="Daft Punk - Topic",
        identifier="official",
        isrc="GBDUW0000053",
        length=320_000,
    )


async def source_choices(h: Harness, command: str = "play", typed: str = "") -> list[str]:
    choices = await h.discord.autocomplete(
        command, "source", typed, user=h.world.alice, guild=h.world.guild, channel=h.world.text
    )
    return [c["value"] for c in choices]


async def query_choices(h: Harness, typed: str, **options: Any) -> list[dict[str, Any]]:
    return await h.discord.autocomplete(
        "play",
        "query",
        typed,
        user=h.world.alice,
        guild=h.world.guild,
        channel=h.world.text,
        options=options,
    )


# -- sources ------------------------------------------------------------------------------


async def test_source_the_node_lacks_is_refused(h: Harness) -> None:
    """/play source:spotify without LavaSrc says why, ephemerally, and loads nothing."""
    await h.join()
    message = await h.reply("play", query="one more time", source="spotify")
    assert message["content"] == (
        "That node can't search Spotify: the LavaSrc plugin isn't installed."
    )
    assert message["ephemeral"]
    assert loads(h) == []
    assert h.discord.voice_updates == []


async def test_source_choices_are_only_what_the_node_has(h: Harness) -> None:
    """The source option offers the node's sources and filters by what is typed."""
    assert await source_choices(h) == ["youtube", "youtubemusic", "soundcloud"]
    assert await source_choices(h, "search", "sound") == ["soundcloud"]


async def test_lavasrc_sources_are_offered_and_searched(tmp_path: Path) -> None:
    """With LavaSrc on the node, Spotify is offered and searched with `spsearch:`."""
    async with harness(tmp_path, start=False) as h:
        h.lavalink.add_plugin("lavasrc-plugin", "4.2.0")
        h.lavalink.add_track(
            title="One More Time", author="Daft Punk", source="spotify", identifier="sp-omt"
        )
        await h.start()
        assert "spotify" in await source_choices(h)
        await h.join()
        message = await h.reply("play", query="one more time", source="spotify")
        assert "One More Time" in embed_text(message)
        assert loads(h) == ["spsearch:one more time"]
        await h.playing("sp-omt")


async def test_source_option_and_guild_default(h: Harness) -> None:
    """Without the option the guild's default source is searched; the option overrides it."""
    assert h.bot.guild_settings is not None
    await h.bot.guild_settings.update(h.world.guild.id, default_source="soundcloud")
    h.lavalink.add_track(title="Sandstorm", author="Darude", source="soundcloud", identifier="sc")
    h.lavalink.add_track(title="Sandstorm", author="Darude", identifier="yt")
    await h.join()
    await h.reply("play", query="sandstorm")
    await h.playing("sc")
    await h.reply("play", query="sandstorm", source="youtube")
    assert loads(h) == ["scsearch:sandstorm", "ytsearch:sandstorm"]


async def test_unknown_source_value_is_refused(h: Harness) -> None:
    """A value typed past the choices is refused before anything is loaded."""
    await h.join()
    message = await h.reply("play", query="sandstorm", source="napster")
    assert message["content"].startswith("I don't know the source `napster`")
    assert message["ephemeral"] and loads(h) == []


async def test_local_and_private_links_are_refused(h: Harness) -> None:
    """file://, local: and links to private hosts never reach Lavalink."""
    await h.join()
    for query in ("file:///etc/passwd", "local:/srv/music/a.mp3"):
        message = await h.reply("play", query=query)
        assert "only play http or https" in message["content"] and message["ephemeral"]
    for query in ("http://127.0.0.1:2333/v4/info", "http://lavalink:2333/version"):
        message = await h.reply("play", query=query)
        assert "private or local address" in message["content"] and message["ephemeral"]
    assert loads(h) == []


# -- cache and single-flight ----------------------------------------------------------------


async def test_second_identical_play_is_answered_from_the_cache(h: Harness) -> None:
    """The same search again (other case and spacing) makes no second loadtracks request."""
    add_one_more_time_results(h)
    await h.join()
    await h.reply("play", query=QUERY)
    await h.playing("official")
    second = await h.reply("play", query="  Daft Punk   ONE more time ")
    assert "position 1" in embed_text(second)
    assert loads(h) == [f"ytsearch:{QUERY}"]


async def test_same_words_from_another_source_are_not_a_cache_hit(h: Harness) -> None:
    """The cache key includes the source."""
    add_one_more_time_results(h)
    await h.join()
    await h.reply("search", query=QUERY)
    await h.reply("search", query=QUERY, source="youtubemusic")
    assert loads(h) == [f"ytsearch:{QUERY}", f"ytmsearch:{QUERY}"]


async def test_concurrent_identical_searches_make_one_request(h: Harness) -> None:
    """Two members searching the same words at once share one Lavalink request."""
    add_one_more_time_results(h)
    h.lavalink.slow_responses(0.3, "loadtracks")
    await h.join()
    await h.join(h.world.bob)
    first = await h.slash("search", query=QUERY)
    second = await h.slash("search", query=QUERY.upper(), user=h.world.bob)
    answers = await asyncio.gather(answer(first), answer(second))
    for message in answers:
        assert "One More Time" in embed_text(message)
    assert loads(h) == [f"ytsearch:{QUERY}"]


# -- ranking --------------------------------------------------------------------------------


async def test_play_picks_the_official_upload(h: Harness) -> None:
    """/play plays the official upload, not the nightcore edit or re-uploads listed first."""
    add_one_more_time_results(h)
    await h.join()
    await h.reply("play", query=QUERY)
    await h.playing("official")


async def test_search_lists_ranked_results_without_variants(h: Harness) -> None:
    """/search shows the official upload first and leaves out the dropped candidates."""
    add_one_more_time_results(h)
    await h.join()
    text = embed_text(await h.reply("search", query=QUERY))
    assert text.index("Daft Punk - Topic") < text.index("Random Uploads")
    assert "Nightcore" not in text and "7clouds" not in text


async def test_asking_for_nightcore_gets_nightcore(h: Harness) -> None:
    """The variant is kept when the query asks for it."""
    add_one_more_time_results(h)
    await h.join()
    await h.reply("play", query="one more time nightcore")
    await h.playing("nightcore")


# -- rate limits ------------------------------------------------------------------------------


async def test_search_rate_limit_says_slow_down(tmp_path: Path) -> None:
    """Past the per-user search limit, /play with words is refused; links still play."""
    async with harness(tmp_path, limits={"searches_per_user_per_minute": 2}) as h:
        add_one_more_time_results(h)
        urls = h.add_tracks(1)
        await h.join()
        await h.reply("play", query=QUERY)
        await h.reply("search", query="one more time")
        message = await h.reply("play", query="sandstorm")
        assert message["content"].startswith("Slow down a little") and message["ephemeral"]
        assert len(loads(h)) == 2
        await h.reply("play", query=urls[0])
        assert loads(h)[-1] == urls[0]


async def test_guild_search_rate_limit_says_slow_down(tmp_path: Path) -> None:
    """Past the per-guild limit, another member is refused too."""
    async with harness(tmp_path, limits={"searches_per_guild_per_minute": 2}) as h:
        add_one_more_time_results(h)
        await h.join()
        await h.join(h.world.bob)
        await h.reply("search", query=QUERY)
        await h.reply("search", query="one more time")
        message = await h.reply("search", query="nightcore", user=h.world.bob)
        assert "this server is searching a lot" in message["content"]
        assert message["ephemeral"]


# -- autocomplete -----------------------------------------------------------------------------


async def test_autocomplete_offers_ranked_results(h: Harness) -> None:
    """After a pause in typing, the query's autocomplete lists results, official first."""
    add_one_more_time_results(h)
    choices = await query_choices(h, QUERY)
    assert choices[0]["name"].startswith("One More Time — Daft Punk - Topic")
    assert choices[0]["value"] == "https://www.youtube.com/watch?v=official"
    assert not any("Nightcore" in c["name"] for c in choices)


async def test_typing_does_not_search_every_keystroke(h: Harness) -> None:
    """Typing a query letter by letter makes one request; typing it again makes none."""
    add_one_more_time_results(h)

    async def type_out(text: str) -> list[list[dict[str, Any]]]:
        keystrokes = []
        for end in range(1, len(text) + 1):
            keystrokes.append(asyncio.create_task(query_choices(h, text[:end])))
            await asyncio.sleep(0.02)
        return await asyncio.gather(*keystrokes)

    answers = await type_out(QUERY)
    assert loads(h) == [f"ytsearch:{QUERY}"]
    assert answers[-1] and all(a == [] for a in answers[:-1])
    again = await type_out(QUERY)
    assert loads(h) == [f"ytsearch:{QUERY}"]
    assert again[-1] == answers[-1]


async def test_autocomplete_uses_the_chosen_source(h: Harness) -> None:
    """With source already picked, autocomplete searches that source."""
    h.lavalink.add_track(title="Sandstorm", author="Darude", source="soundcloud")
    choices = await query_choices(h, "sandstorm", source="soundcloud")
    assert choices and loads(h) == ["scsearch:sandstorm"]
