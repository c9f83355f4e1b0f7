"""Autoplay when the queue runs out, in each mode, through the fakes (fast Lavalink clock)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.harness import Harness, harness
from tests.e2e.test_now_playing import is_now_playing
from tests.e2e.test_track_flow import SHORT, started

QUEUE_END = "queue has ended"


@pytest.fixture
async def fast(tmp_path: Path) -> AsyncIterator[Harness]:
    async with harness(tmp_path, clock_speed=200.0) as running:
        yield running


def song(h: Harness, identifier: str, title: str, author: str, **kwargs: Any) -> dict[str, Any]:
    """A short YouTube track (its link is YouTube's watch URL)."""
    return h.lavalink.add_track(
        title=title,
        author=author,
        length=kwargs.pop("length", SHORT),
        identifier=identifier,
        **kwargs,
    )


def radio(h: Harness, seed: dict[str, Any], tracks: list[dict[str, Any]]) -> None:
    """YouTube's radio mix of `seed`, as Lavalink loads it: a playlist at the RD link."""
    vid = seed["info"]["identifier"]
    h.lavalink.add_playlist(
        f"Mix - {seed['info']['title']}",
        tracks,
        url=f"https://www.youtube.com/watch?v={vid}&list=RD{vid}",
    )


async def play_with_autoplay(h: Harness, mode: str, seed: dict[str, Any]) -> None:
    """Alice joins, switches autoplay to `mode` and plays `seed` alone."""
    await h.join()
    reply = await h.reply("autoplay", mode=mode)
    assert not reply["ephemeral"]
    await h.reply("play", query=seed["info"]["uri"])


async def queue_end(h: Harness, timeout: float = 10.0) -> None:
    """Wait for the queue-end announcement."""
    await h.discord.wait_for_message(
        h.world.text,
        lambda m: any(QUEUE_END in (e.get("description") or "") for e in m["embeds"]),
        timeout=timeout,
    )


def loads(h: Harness) -> list[str]:
    """The identifiers the bot asked Lavalink to load, in order."""
    return [r.query["identifier"] for r in h.lavalink.requests if r.path == "/v4/loadtracks"]


async def test_autoplay_is_off_by_default(fast: Harness) -> None:
    """Without /autoplay the queue ends as before: one track, then the queue-end message."""
    seed = song(fast, "seedTrack01", "Opening Theme", "The Band")
    radio(fast, seed, [seed, song(fast, "relatedOne1", "Second Wave", "The Band")])
    await fast.join()
    await fast.reply("play", query=seed["info"]["uri"])
    await queue_end(fast)
    assert started(fast) == ["seedTrack01"]
    assert loads(fast) == [seed["info"]["uri"]]


async def test_similar_follows_radio_mixes_without_repeats(fast: Harness) -> None:
    """Similar: the seed's radio mix, then the next track's, skipping what was played
    (a lyrics re-upload of the seed too); when nothing fresh is left, the queue ends."""
    seed = song(fast, "seedTrack01", "Opening Theme", "The Band")
    lyrics = song(fast, "lyricsUp001", "The Band - Opening Theme (Lyrics)", "Lyric Vault")
    first = song(fast, "relatedOne1", "Second Wave", "The Band")
    second = song(fast, "relatedTwo2", "Third Light", "Other Group")
    radio(fast, seed, [seed, lyrics, first])
    radio(fast, first, [first, seed, lyrics, second])
    await play_with_autoplay(fast, "similar", seed)
    await queue_end(fast)
    assert started(fast) == ["seedTrack01", "relatedOne1", "relatedTwo2"]
    assert loads(fast)[1:3] == [
        "https://www.youtube.com/watch?v=seedTrack01&list=RDseedTrack01",
        "https://www.youtube.com/watch?v=relatedOne1&list=RDrelatedOne1",
    ]


async def test_similar_without_a_mix_searches_artist_and_title(fast: Harness) -> None:
    """No radio mix: a search for "<artist> <title>" finds another version to play."""
    seed = song(fast, "seedTrack01", "Opening Theme", "The Band")
    live = song(fast, "liveTrack01", "Opening Theme Acoustic Session", "The Band")
    await play_with_autoplay(fast, "similar", seed)
    await queue_end(fast)
    assert started(fast) == ["seedTrack01", live["info"]["identifier"]]
    assert "ytsearch:The Band Opening Theme" in loads(fast)


async def test_artist_plays_more_by_the_artist_only(fast: Harness) -> None:
    """Artist: a search for the artist (ranked: the "- Topic" channel first); other artists
    in the results are passed over."""
    seed = song(fast, "seedTrack01", "Alpha", "The Band")
    song(fast, "otherBand01", "Delta", "Other Band")
    song(fast, "bandBeta001", "Beta", "The Band")
    song(fast, "bandGamma01", "Gamma", "The Band - Topic")
    await play_with_autoplay(fast, "artist", seed)
    await queue_end(fast)
    assert started(fast) == ["seedTrack01", "bandGamma01", "bandBeta001"]
    assert "ytsearch:The Band" in loads(fast)


async def test_genre_searches_the_genre_of_the_title(fast: Harness) -> None:
    """Genre: the genre word in the title ("lofi") is searched; each result plays once."""
    seed = song(fast, "seedTrack01", "Midnight Lofi Session", "Chill Cat")
    song(fast, "rainyLofi01", "Rainy Lofi", "Music Cafe")
    song(fast, "sundayLofi1", "Sunday Lofi", "Music Cafe")
    song(fast, "rockSong001", "Loud Rock", "Music Cafe")
    await play_with_autoplay(fast, "genre", seed)
    await queue_end(fast)
    assert started(fast) == ["seedTrack01", "rainyLofi01", "sundayLofi1"]
    assert "ytsearch:lofi music" in loads(fast)


async def test_mixed_plays_everything_related_once(fast: Harness) -> None:
    """Mixed: whichever mode comes first, every related track plays exactly once."""
    seed = song(fast, "seedTrack01", "Synthwave Sunrise", "Neon Band")
    related = [
        song(fast, "neonOne0001", "Synthwave Drive", "Neon Band"),
        song(fast, "neonTwo0002", "Night Synthwave", "Neon Band"),
        song(fast, "neonThree03", "City Lights", "Neon Band"),
    ]
    radio(fast, seed, [seed, related[2]])
    await play_with_autoplay(fast, "mixed", seed)
    await queue_end(fast)
    played = started(fast)
    assert played[0] == "seedTrack01"
    assert sorted(played[1:]) == sorted(t["info"]["identifier"] for t in related)


async def test_autoplay_track_is_marked_in_now_playing(fast: Harness) -> None:
    """The now-playing message of an autoplay pick says "Autoplay"; the user's track does not."""
    seed = song(fast, "seedTrack01", "Opening Theme", "The Band")
    long_one = song(fast, "relatedOne1", "Second Wave", "The Band", length=600_000)
    radio(fast, seed, [seed, long_one])
    await play_with_autoplay(fast, "similar", seed)
    message = await fast.discord.wait_for_message(
        fast.world.text,
        lambda m: is_now_playing(m) and m["embeds"][0]["title"] == "Second Wave",
    )
    assert message["embeds"][0]["footer"]["text"] == "Autoplay"
    queue = await fast.reply("queue")
    assert "Second Wave" in queue["embeds"][0]["description"]


async def test_switching_on_after_the_queue_ended_starts_at_once(fast: Harness) -> None:
    """/autoplay while the bot sits idle in voice after the queue ended: it starts now."""
    seed = song(fast, "seedTrack01", "Opening Theme", "The Band")
    radio(fast, seed, [seed, song(fast, "relatedOne1", "Second Wave", "The Band", length=600_000)])
    await fast.join()
    await fast.reply("play", query=seed["info"]["uri"])
    await queue_end(fast)
    reply = await fast.reply("autoplay", mode="similar")
    assert "Starting now" in reply["embeds"][0]["description"]
    await fast.playing("relatedOne1")


async def test_autoplay_setting_is_stored_and_shown(fast: Harness) -> None:
    """The mode is a guild setting; /autoplay without a mode shows it, off turns it off."""
    await fast.join()
    await fast.reply("autoplay", mode="artist")
    assert fast.bot.guild_settings is not None
    assert (await fast.bot.guild_settings.get(fast.world.guild.id)).autoplay_mode == "artist"
    shown = await fast.reply("autoplay")
    assert shown["ephemeral"] and "same artist" in shown["embeds"][0]["description"]
    await fast.reply("autoplay", mode="off")
    assert (await fast.bot.guild_settings.get(fast.world.guild.id)).autoplay_mode == "off"


async def test_changing_autoplay_needs_voice(fast: Harness) -> None:
    """Bob, outside voice and without Manage Server, may not switch autoplay."""
    reply = await fast.reply("autoplay", mode="similar", user=fast.world.bob)
    assert reply["ephemeral"] and "voice channel" in reply["content"]


async def test_recent_window_comes_from_the_config(tmp_path: Path) -> None:
    """With `limits.autoplay_recent_window = 1` only the last play is avoided, so two tracks
    whose radio mixes list each other take turns (the default window would end the queue)."""
    async with harness(tmp_path, clock_speed=200.0, limits={"autoplay_recent_window": 1}) as h:
        seed = song(h, "seedTrack01", "Opening Theme", "The Band")
        other = song(h, "relatedOne1", "Second Wave", "The Band")
        radio(h, seed, [seed, other])
        radio(h, other, [other, seed])
        await play_with_autoplay(h, "similar", seed)
        await h.lavalink.wait_for_event("TrackStartEvent", h.world.guild.id, count=4)
        assert started(h)[:4] == ["seedTrack01", "relatedOne1", "seedTrack01", "relatedOne1"]
        await h.reply("stop")
