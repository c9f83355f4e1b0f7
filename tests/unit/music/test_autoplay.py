"""The autoplay picker: lookups per mode, no repeats within the window, the mixed blend."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass

import pytest

from bot.music.autoplay import (
    MAX_SONG_MS,
    MIX_WEIGHTS,
    AutoplayMode,
    Lookup,
    RecentTracks,
    artist_name,
    clean_title,
    genre_tags,
    lookups,
    mode_order,
    pick,
    radio_url,
    title_keys,
)


@dataclass(frozen=True)
class Song:
    title: str
    author: str
    identifier: str = ""
    uri: str | None = None
    length_ms: int = 200_000
    is_stream: bool = False


SEED = Song(
    "Daft Punk - One More Time (Official Video)",
    "Daft Punk",
    identifier="FGBhQbmPwH8",
    uri="https://www.youtube.com/watch?v=FGBhQbmPwH8",
)
SIMILAR = Lookup(AutoplayMode.SIMILAR, "x")
ARTIST = Lookup(AutoplayMode.ARTIST, "x")


def test_title_forms_of_one_song_match() -> None:
    """A re-upload's "Artist - Song (Official Video)" and the topic channel's "Song" match."""
    assert title_keys("One More Time") <= title_keys("Daft Punk - One More Time (Official Video)")
    assert title_keys("Bohemian Rhapsody - Remastered 2011") == {"bohemian rhapsody"}
    assert title_keys("Levitating ft. DaBaby [Lyrics]") == {"levitating"}


def test_clean_title_and_artist_name_drop_channel_noise() -> None:
    """Search text is built from the song and artist, not channel decorations."""
    assert clean_title("Daft Punk - One More Time (Official Video)", "Daft Punk - Topic") == (
        "One More Time"
    )
    assert artist_name("Daft Punk - Topic") == "Daft Punk"
    assert artist_name("Queen Official") == "Queen"


def test_recent_tracks_match_identifier_link_or_title() -> None:
    """A candidate is a repeat by identifier, by link, or by the same song under another upload."""
    recent = RecentTracks([SEED, Song("Around the World", "Daft Punk", uri="https://x/atw")])
    assert Song("anything", "someone", identifier="FGBhQbmPwH8") in recent
    assert Song("anything", "someone", uri="https://x/atw") in recent
    assert Song("One More Time", "Daft Punk - Topic", identifier="other") in recent
    assert Song("Aerodynamic", "Daft Punk", identifier="aero") not in recent


def test_pick_skips_recent_streams_and_long_mixes() -> None:
    """The first fresh, song-length, non-stream candidate wins, in the order given."""
    candidates = [
        Song("One More Time", "Daft Punk - Topic", identifier="omt-topic"),
        Song("Daft Punk radio 24/7", "Radio", identifier="live", is_stream=True),
        Song("Daft Punk full album", "Fan", identifier="album", length_ms=MAX_SONG_MS + 1),
        Song("Digital Love", "Daft Punk", identifier="dl"),
        Song("Harder Better Faster Stronger", "Daft Punk", identifier="hbfs"),
    ]
    chosen = pick(SIMILAR, candidates, seed=SEED, recent=RecentTracks([SEED]))
    assert chosen is not None and chosen.identifier == "dl"


def test_pick_honours_the_guilds_track_length_limit() -> None:
    """A guild limit below the song length leaves nothing."""
    candidates = [Song("Digital Love", "Daft Punk", identifier="dl", length_ms=300_000)]
    assert (
        pick(SIMILAR, candidates, seed=SEED, recent=RecentTracks(), max_length_ms=240_000) is None
    )


def test_artist_mode_only_takes_the_artists_tracks() -> None:
    """ "More by the artist": other artists' results are skipped, labels' uploads count."""
    candidates = [
        Song("Get Lucky", "Pharrell Williams", identifier="gl"),
        Song("Daft Punk - Aerodynamic", "Label Uploads", identifier="aero"),
        Song("Digital Love", "Daft Punk - Topic", identifier="dl"),
    ]
    chosen = pick(ARTIST, candidates, seed=SEED, recent=RecentTracks([SEED]))
    assert chosen is not None and chosen.identifier == "aero"
    assert pick(ARTIST, candidates[:1], seed=SEED, recent=RecentTracks()) is None


def test_no_repeat_within_the_window_over_many_fills() -> None:
    """Filling again and again from the same pool never repeats a track of the window."""
    pool = [Song(f"Song {i}", "Band", identifier=f"s{i}") for i in range(30)]
    played: list[Song] = [SEED]
    for _ in range(30):
        window = played[-10:]
        chosen = pick(SIMILAR, pool, seed=played[-1], recent=RecentTracks(window))
        assert chosen is not None and chosen not in window
        played.append(chosen)
    assert len({s.identifier for s in played[-11:]}) == 11


def test_similar_loads_the_youtube_radio_mix_first() -> None:
    """YouTube seed: its radio mix, then a search for artist and song."""
    found = lookups(AutoplayMode.SIMILAR, SEED, [SEED])
    assert [lk.query for lk in found] == [
        "https://www.youtube.com/watch?v=FGBhQbmPwH8&list=RDFGBhQbmPwH8",
        "Daft Punk One More Time",
    ]


def test_similar_without_youtube_searches() -> None:
    """A SoundCloud seed has no radio mix: searches only."""
    seed = Song("Sandstorm", "Darude", identifier="123", uri="https://soundcloud.com/darude/s")
    assert radio_url(seed) is None
    assert [lk.query for lk in lookups(AutoplayMode.SIMILAR, seed, [seed])] == ["Darude Sandstorm"]


def test_artist_lookups_search_the_artist() -> None:
    """Artist mode searches the artist's name without "- Topic"."""
    seed = Song("Digital Love", "Daft Punk - Topic")
    assert [lk.query for lk in lookups(AutoplayMode.ARTIST, seed, [])] == [
        "Daft Punk",
        "Daft Punk songs",
    ]


def test_genre_from_the_title_then_history_then_artists() -> None:
    """Genre words of the track, else of the history, else the guild's recent artists."""
    lofi = Song("chill lofi beats to study to", "Lofi Girl")
    assert [lk.query for lk in lookups(AutoplayMode.GENRE, lofi, [lofi])] == ["lofi music"]
    plain = Song("Strobe", "deadmau5")
    history = [plain, Song("Opus", "Eric Prydz"), Song("Deep House Mix", "Someone")]
    assert [lk.query for lk in lookups(AutoplayMode.GENRE, plain, history)] == ["deep house music"]
    history = [plain, Song("Opus", "Eric Prydz"), Song("Pjanoo", "Eric Prydz")]
    assert [lk.query for lk in lookups(AutoplayMode.GENRE, plain, history)] == [
        "Eric Prydz",
        "deadmau5",
    ]


def test_genre_tags_prefer_the_specific_genre() -> None:
    """ "Deep house" is not also counted as "house"; spellings fold together."""
    assert genre_tags(["Deep House Mix"]) == ["deep house"]
    assert genre_tags(["lo-fi chill", "LOFI beats"]) == ["lofi"]


@pytest.mark.parametrize("mode", [AutoplayMode.SIMILAR, AutoplayMode.ARTIST, AutoplayMode.GENRE])
def test_single_modes_try_only_themselves(mode: AutoplayMode) -> None:
    """A single mode is strict; off tries nothing."""
    assert mode_order(mode, random.Random(1)) == [mode]
    assert mode_order(AutoplayMode.OFF, random.Random(1)) == []


def test_mixed_blends_the_modes_by_weight() -> None:
    """Over many fills, each mode comes first about as often as its weight; all are fallbacks."""
    rng = random.Random(7)
    firsts: Counter[AutoplayMode] = Counter()
    for _ in range(4000):
        order = mode_order(AutoplayMode.MIXED, rng)
        assert sorted(order) == sorted(MIX_WEIGHTS)
        firsts[order[0]] += 1
    for mode, weight in MIX_WEIGHTS.items():
        assert firsts[mode] / 4000 == pytest.approx(weight, abs=0.03)
