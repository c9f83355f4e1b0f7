"""/play and friends through the fakes: what the user sees and what Lavalink is asked."""

from __future__ import annotations

from tests.e2e.harness import Harness
from tests.fakes.discord_models import P


def embed_text(message: dict) -> str:
    parts = []
    for embed in message.get("embeds", []):
        parts += [embed.get("title") or "", embed.get("description") or ""]
        parts += [f"{f['name']} {f['value']}" for f in embed.get("fields", [])]
    return message.get("content", "") + " ".join(parts)


async def test_play_search_queues_the_first_result(h: Harness) -> None:
    """Search text goes to Lavalink with the ytsearch: prefix; the first result plays."""
    h.lavalink.add_track(
        title="Daft Punk - One More Time",
        author="Daft Punk",
        length=320_000,
        identifier="omt",
        uri="https://www.youtube.com/watch?v=omt",
    )
    await h.join()
    message = await h.reply("play", query="one more time")
    assert "One More Time" in embed_text(message)
    load = next(r for r in h.lavalink.requests if r.path == "/v4/loadtracks")
    assert load.query["identifier"] == "ytsearch:one more time"
    await h.playing("omt")


async def test_play_playlist_queues_every_track(h: Harness) -> None:
    """A playlist URL queues all its tracks and says so."""
    tracks = [
        h.lavalink.add_track(
            title=f"P{i}",
            author="A",
            length=100_000,
            identifier=f"p{i}",
            uri=f"https://example.com/p{i}",
        )
        for i in range(5)
    ]
    h.lavalink.add_playlist("Road Trip", tracks, url="https://example.com/list/road")
    await h.join()
    message = await h.reply("play", query="https://example.com/list/road")
    assert "Road Trip" in embed_text(message) and "5 tracks" in embed_text(message)
    await h.playing("p0")


async def test_playlist_truncated_at_queue_limit(h: Harness) -> None:
    """Only what fits under the guild's queue limit is queued; the reply says how many."""
    assert h.bot.guild_settings is not None
    await h.bot.guild_settings.update(h.world.guild.id, max_queue_length=3)
    tracks = [
        h.lavalink.add_track(
            title=f"Q{i}",
            author="A",
            length=100_000,
            identifier=f"q{i}",
            uri=f"https://example.com/q{i}",
        )
        for i in range(6)
    ]
    h.lavalink.add_playlist("Big", tracks, url="https://example.com/list/big")
    await h.join()
    message = await h.reply("play", query="https://example.com/list/big")
    assert "3 did not fit" in embed_text(message)


async def test_nothing_found_is_ephemeral_and_changes_nothing(h: Harness) -> None:
    """An empty result gets a friendly ephemeral reply; the bot does not join voice."""
    await h.join()
    message = await h.reply("play", query="zzzz no such song")
    assert "Nothing found" in message["content"]
    assert message["ephemeral"]
    assert h.discord.voice_updates == []


async def test_load_error_is_explained(h: Harness) -> None:
    """A Lavalink load error (common severity) is shown to the user."""
    h.lavalink.fail_load("blocked", "This video is unavailable", "common")
    await h.join()
    message = await h.reply("play", query="https://example.com/blocked")
    assert "This video is unavailable" in message["content"]
    assert message["ephemeral"]


async def test_play_without_voice_is_refused(h: Harness) -> None:
    """A member outside voice gets an ephemeral error; no voice join, no Lavalink load."""
    h.add_tracks(1)
    message = await h.reply("play", query="https://example.com/t1")
    assert message["content"] == "You need to be in a voice channel."
    assert message["ephemeral"]
    assert h.discord.voice_updates == []
    assert not any(r.path == "/v4/loadtracks" for r in h.lavalink.requests)


async def test_second_play_queues_behind_the_first(h: Harness) -> None:
    """While a track plays, /play queues at position 1 and /playnext jumps ahead of it."""
    h.add_tracks(3)
    await h.join()
    await h.reply("play", query="https://example.com/t1")
    await h.playing("t1")
    second = await h.reply("play", query="https://example.com/t2")
    assert "position 1" in embed_text(second)
    third = await h.reply("playnext", query="https://example.com/t3")
    assert "position 1" in embed_text(third)
    queue = await h.reply("queue")
    text = embed_text(queue)
    assert text.index("Track T3") < text.index("Track T2")


async def test_bot_will_not_be_pulled_away_from_listeners(h: Harness) -> None:
    """Someone in another channel can't drag the bot away while it plays for others."""
    h.add_tracks(2)
    await h.join()
    await h.reply("play", query="https://example.com/t1")
    await h.playing("t1")
    await h.join(h.world.bob, h.world.other_voice)
    message = await h.reply("play", user=h.world.bob, query="https://example.com/t2")
    assert "I'm playing in" in message["content"]
    assert message["ephemeral"]


async def test_missing_connect_permission_is_explained(h: Harness) -> None:
    """A voice channel the bot may not join gives the permission's name."""
    locked = h.world.guild.add_voice_channel("Locked")
    locked.set_permissions(h.world.guild.me, deny=P.CONNECT)
    h.add_tracks(1)
    await h.join(channel=locked)
    message = await h.reply("play", query="https://example.com/t1")
    assert "missing the Connect permission" in message["content"]
    assert message["ephemeral"]
    assert h.discord.voice_updates == []


async def test_configured_guild_defaults_apply(tmp_path) -> None:
    """[guild_defaults] volume reaches a guild that never changed its settings."""
    from tests.e2e.harness import harness

    async with harness(tmp_path, guild_defaults={"volume": 55}) as h:
        h.add_tracks(1)
        await h.join()
        await h.reply("play", query="https://example.com/t1")
        body = await h.player_patch(lambda b: b.get("encodedTrack"))
        assert body["volume"] == 55


async def test_refused_join_queues_nothing(h: Harness) -> None:
    """A /play refused at the voice join leaves no phantom track behind."""
    locked = h.world.guild.add_voice_channel("Locked")
    locked.set_permissions(h.world.guild.me, deny=P.CONNECT)
    h.add_tracks(2)
    await h.join(channel=locked)
    refused = await h.reply("play", query="https://example.com/t1")
    assert "missing the Connect permission" in refused["content"]
    await h.join(channel=h.world.voice)
    message = await h.reply("play", query="https://example.com/t2")
    assert "Now playing" in embed_text(message) and "Track T2" in embed_text(message)
    await h.playing("t2")
    assert "The queue is empty" in embed_text(await h.reply("queue"))


async def test_search_menu_picks_and_plays(h: Harness) -> None:
    """/search lists results in a select menu; picking one queues it like /play."""
    for i, title in enumerate(["Rick Astley - Never Gonna Give You Up", "Never Gonna Stop"], 1):
        h.lavalink.add_track(title=title, author=f"Artist {i}", length=200_000,
                             identifier=f"ng{i}", uri=f"https://example.com/ng{i}")
    await h.join()
    interaction = await h.slash("search", query="never gonna")
    menu = await interaction.wait_final(lambda m: bool(m["components"]))
    assert menu["ephemeral"]
    options = menu["components"][0]["components"][0]["options"]
    assert len(options) == 2
    chosen = next(o for o in options if o["label"] == "Never Gonna Stop")
    click = await h.discord.click(menu, "search:pick", user=h.world.alice,
                                  values=[chosen["value"]])
    await click.wait_response()
    await h.playing("ng2")

