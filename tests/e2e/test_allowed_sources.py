"""A guild's `allowed_sources` through the fakes: refused searches and links load nothing,
playlists and autoplay leave out what is not allowed, the source choices hide it."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.harness import Harness, harness
from tests.e2e.test_autoplay import play_with_autoplay, queue_end, radio, song
from tests.e2e.test_play import embed_text
from tests.e2e.test_search import loads, source_choices
from tests.e2e.test_track_flow import started

ONLY_YOUTUBE = "Allowed sources: YouTube."


async def allow(h: Harness, *sources: str) -> None:
    """Set the guild's allow-list as an admin would."""
    assert h.bot.guild_settings is not None
    await h.bot.guild_settings.update(h.world.guild.id, allowed_sources=list(sources))


async def test_play_with_a_source_not_allowed_is_refused(h: Harness) -> None:
    """/play source:soundcloud where only YouTube is allowed: refused, nothing loaded or joined."""
    await allow(h, "youtube")
    await h.join()
    message = await h.reply("play", query="sandstorm", source="soundcloud")
    assert message["content"] == f"This server doesn't allow SoundCloud. {ONLY_YOUTUBE}"
    assert message["ephemeral"]
    assert loads(h) == [] and h.discord.voice_updates == []


async def test_search_with_a_source_not_allowed_is_refused(h: Harness) -> None:
    """/search source:soundcloud is refused the same way, before Lavalink is asked."""
    await allow(h, "youtube")
    await h.join()
    message = await h.reply("search", query="sandstorm", source="soundcloud")
    assert message["content"] == f"This server doesn't allow SoundCloud. {ONLY_YOUTUBE}"
    assert message["ephemeral"] and loads(h) == []


async def test_link_to_a_site_not_allowed_is_refused_before_loading(h: Harness) -> None:
    """A SoundCloud link is recognised by its host: refused without a load, nothing queued."""
    await allow(h, "youtube", "spotify")
    await h.join()
    message = await h.reply("play", query="https://soundcloud.com/darude/sandstorm")
    assert message["content"] == (
        "This server doesn't allow SoundCloud. Allowed sources: YouTube, Spotify."
    )
    assert message["ephemeral"] and loads(h) == []
    assert "queue is empty" in embed_text(await h.reply("queue")).lower()


async def test_link_that_loads_a_track_not_allowed_is_refused(h: Harness) -> None:
    """A link to another site is judged by what it loads: a SoundCloud track is not queued."""
    h.lavalink.add_track(
        title="Sandstorm", source="soundcloud", identifier="sc", uri="https://example.com/sc"
    )
    await allow(h, "youtube")
    await h.join()
    message = await h.reply("play", query="https://example.com/sc")
    assert message["content"] == f"This server doesn't allow SoundCloud. {ONLY_YOUTUBE}"
    assert loads(h) == ["https://example.com/sc"] and h.discord.voice_updates == []


async def test_playlist_leaves_out_tracks_not_allowed_and_says_how_many(h: Harness) -> None:
    """A playlist with SoundCloud tracks queues only the YouTube ones and counts the others."""
    youtube = [h.lavalink.add_track(title=f"Tube {i}", identifier=f"yt{i}") for i in (1, 2)]
    cloud = [
        h.lavalink.add_track(title=f"Cloud {i}", source="soundcloud", identifier=f"sc{i}")
        for i in (1, 2)
    ]
    url = "https://example.com/mixed"
    h.lavalink.add_playlist("Mixed", [cloud[0], youtube[0], cloud[1], youtube[1]], url=url)
    await allow(h, "youtube")
    await h.join()
    message = await h.reply("play", query=url)
    text = embed_text(message)
    assert "**Mixed**: 2 tracks" in text
    assert "Skipped 2 from sources this server doesn't allow" in text
    await h.playing("yt1")
    queue = embed_text(await h.reply("queue"))
    assert "Tube 2" in queue and "Cloud" not in queue


async def test_source_choices_leave_out_sources_not_allowed(h: Harness) -> None:
    """The source option offers only what the node has and the guild allows."""
    await allow(h, "youtube", "soundcloud", "spotify")
    assert await source_choices(h) == ["youtube", "soundcloud"]
    assert await source_choices(h, "search", "tube") == ["youtube"]


async def test_autoplay_passes_over_tracks_not_allowed(tmp_path: Path) -> None:
    """Autoplay skips a radio-mix pick from a source the guild doesn't allow."""
    async with harness(tmp_path, clock_speed=200.0) as h:
        seed = song(h, "seedTrack01", "Opening Theme", "The Band")
        cloud = song(h, "cloudTrack1", "Cloud Song", "The Band", source="soundcloud")
        tube = song(h, "tubeTrack01", "Tube Song", "The Band")
        radio(h, seed, [seed, cloud, tube])
        radio(h, tube, [tube, seed, cloud])
        await allow(h, "youtube")
        await play_with_autoplay(h, "similar", seed)
        await queue_end(h)
        assert started(h) == ["seedTrack01", "tubeTrack01"]
