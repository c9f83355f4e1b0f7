"""A guild's allowed sources: searches, links and tracks."""

from __future__ import annotations

import pytest

from bot.music.source_policy import SourceNotAllowed, SourcePolicy, link_source
from bot.music.sources import SOURCES
from bot.music.track import QueuedTrack


def track(source: str) -> QueuedTrack:
    return QueuedTrack(
        encoded="x", title="t", author="a", length_ms=1, uri=None, requester_id=1, source=source
    )


@pytest.mark.parametrize(
    ("url", "source"),
    [
        ("https://www.youtube.com/watch?v=x", "youtube"),
        ("https://music.youtube.com/watch?v=x", "youtube"),
        ("https://youtu.be/x", "youtube"),
        ("https://m.soundcloud.com/a/b", "soundcloud"),
        ("https://open.spotify.com/track/x", "spotify"),
        ("https://music.apple.com/us/album/x", "applemusic"),
        ("https://www.deezer.com/track/1", "deezer"),
        ("https://artist.bandcamp.com/track/x", "bandcamp"),
        ("https://example.com/song.mp3", None),
        ("https://notyoutube.com/x", None),
    ],
)
def test_links_to_known_sites_name_their_source(url: str, source: str | None) -> None:
    """The host (or a parent domain) says which Lavalink source loads the link."""
    assert link_source(url) == source


def test_no_allow_list_allows_everything() -> None:
    """`None`: every search, link and track, even one without a source name."""
    policy = SourcePolicy(None)
    policy.check_query("https://soundcloud.com/a/b", None, "youtube")
    tracks = [track("soundcloud"), track("")]
    assert policy.keep_allowed(tracks) == (tracks, 0)


def test_youtube_music_allows_youtube_tracks_but_not_youtube_search() -> None:
    """A track is allowed by its source manager; a search only by the source's own name."""
    policy = SourcePolicy(("youtubemusic",))
    assert policy.allows_track_source("youtube")
    assert policy.allows_search(SOURCES["youtubemusic"])
    assert not policy.allows_search(SOURCES["youtube"])


def test_refusals_name_the_source_and_the_allowed_ones() -> None:
    """Search, link and loaded tracks: each refusal lists what the guild allows."""
    policy = SourcePolicy(("youtube", "bandcamp"))
    expected = "This server doesn't allow SoundCloud. Allowed sources: YouTube, Bandcamp."
    with pytest.raises(SourceNotAllowed) as search:
        policy.check_query("sandstorm", "soundcloud", "youtube")
    with pytest.raises(SourceNotAllowed) as link:
        policy.check_query("https://soundcloud.com/a/b", "youtube", "youtube")
    with pytest.raises(SourceNotAllowed) as loaded:
        policy.keep_allowed([track("soundcloud")])
    assert search.value.message == link.value.message == loaded.value.message == expected


def test_keep_allowed_counts_what_it_leaves_out() -> None:
    """Allowed tracks stay in order; the others (and unnamed ones) are counted."""
    policy = SourcePolicy(("soundcloud",))
    kept, skipped = policy.keep_allowed(
        [track("youtube"), track("soundcloud"), track(""), track("soundcloud")]
    )
    assert [t.source for t in kept] == ["soundcloud", "soundcloud"] and skipped == 2
