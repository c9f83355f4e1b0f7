"""Autoplay: what to play when the queue runs out, chosen from tracks related to the last one.

Pure logic, no Lavalink. `lookups` says which links and searches to load for a
mode; `pick` chooses the first fresh candidate from what one of them returned;
`mode_order` decides which mode a `mixed` fill tries first. A candidate is
fresh when it is not in the guild's recent history (same identifier, link or
normalised title), is not a live stream and is not much longer than a song.

Modes:
- `similar`: YouTube's radio mix of the last track, else searches for it;
- `artist`: searches for the artist; only that artist's tracks count;
- `genre`: genre words of the track's title or channel (Lavalink's track info
  has no genre field), else of the recent history, else the artists the guild
  played lately;
- `mixed`: one of the three per track, weighted by `MIX_WEIGHTS`.

A single mode is strict: when it finds nothing fresh, autoplay stops (the
queue-end message follows). `mixed` falls back to its other modes first.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol, TypeVar

__all__ = [
    "GENRES",
    "MAX_SONG_MS",
    "MIX_WEIGHTS",
    "AutoplayMode",
    "Candidate",
    "Lookup",
    "Playable",
    "RecentTracks",
    "artist_name",
    "clean_title",
    "genre_tags",
    "lookups",
    "mode_order",
    "pick",
    "radio_url",
    "title_keys",
]

MAX_SONG_MS = 20 * 60 * 1000
"""Longer candidates (hour-long mixes, full albums) are left out unless the seed is as long."""


class AutoplayMode(StrEnum):
    """A guild's autoplay setting."""

    OFF = "off"
    SIMILAR = "similar"
    ARTIST = "artist"
    GENRE = "genre"
    MIXED = "mixed"


MIX_WEIGHTS: Mapping[AutoplayMode, float] = {
    AutoplayMode.SIMILAR: 0.5,
    AutoplayMode.ARTIST: 0.3,
    AutoplayMode.GENRE: 0.2,
}

# Genre words as they appear in titles and channel names, most specific first.
GENRES: tuple[str, ...] = (
    "lofi hip hop",
    "drum and bass",
    "deep house",
    "tech house",
    "future bass",
    "city pop",
    "bossa nova",
    "hip hop",
    "r&b",
    "k-pop",
    "j-pop",
    "lofi",
    "lo-fi",
    "chillhop",
    "synthwave",
    "vaporwave",
    "phonk",
    "trap",
    "drill",
    "rap",
    "house",
    "techno",
    "trance",
    "dubstep",
    "dnb",
    "hardstyle",
    "edm",
    "ambient",
    "jazz",
    "blues",
    "soul",
    "funk",
    "disco",
    "reggaeton",
    "reggae",
    "afrobeats",
    "amapiano",
    "salsa",
    "metalcore",
    "metal",
    "punk",
    "grunge",
    "emo",
    "shoegaze",
    "indie",
    "rock",
    "folk",
    "country",
    "gospel",
    "classical",
    "orchestral",
    "piano",
    "acoustic",
    "soundtrack",
)
_GENRE_PATTERNS = tuple(
    (genre, re.compile(rf"(?<![\w&-]){re.escape(genre)}(?![\w&-])", re.IGNORECASE))
    for genre in GENRES
)
_SAME_GENRE = {"lo-fi": "lofi", "dnb": "drum and bass"}

_YOUTUBE_ID = re.compile(r"^[A-Za-z0-9_-]{11}$")
_BRACKETS = re.compile(r"\([^)]*\)|\[[^\]]*\]|【[^】]*】")
_FEATURING = re.compile(r"\s(?:feat\.?|ft\.?|featuring)\s.*$", re.IGNORECASE)
_VERSION_SUFFIX = re.compile(
    r"\s-\s[^-]*\b(?:remaster(?:ed)?|version|edit|live|mono|stereo|demo|remix)\b[^-]*$",
    re.IGNORECASE,
)
_CHANNEL_NOISE = re.compile(r"\s*-\s*topic$|vevo$|\bofficial\b", re.IGNORECASE)
_NOT_WORD = re.compile(r"[^\w]+")


class Playable(Protocol):
    """What autoplay reads of a track (QueuedTrack and PlayedTrack have these)."""

    @property
    def title(self) -> str: ...

    @property
    def author(self) -> str: ...

    @property
    def uri(self) -> str | None: ...

    @property
    def identifier(self) -> str | None: ...


class Candidate(Playable, Protocol):
    """A track autoplay may queue: it also knows its length."""

    @property
    def length_ms(self) -> int: ...

    @property
    def is_stream(self) -> bool: ...


C = TypeVar("C", bound=Candidate)


def _fold(text: str) -> str:
    return " ".join(_NOT_WORD.sub(" ", text.casefold()).split())


def artist_name(author: str) -> str:
    """The artist behind a channel name: "Daft Punk - Topic", "DaftPunkVEVO" → the name."""
    return " ".join(_CHANNEL_NOISE.sub("", author.strip()).split())


def clean_title(title: str, author: str = "") -> str:
    """The song name in a title: without "(Official Video)", "ft. X", " - Remastered 2011"
    and, when `author` is given, without a leading "Artist - "."""
    bare = _FEATURING.sub("", _BRACKETS.sub(" ", title))
    bare = " ".join(_VERSION_SUFFIX.sub("", bare).split())
    artist = artist_name(author)
    if artist and bare.casefold().startswith(f"{artist.casefold()} - "):
        bare = bare[len(artist) + 3 :]
    return bare


def title_keys(title: str) -> frozenset[str]:
    """Forms of a title that name the same song: the clean title, and the part after
    "X - " (a re-upload's "Artist - Song" is the artist's "Song")."""
    bare = clean_title(title)
    keys = {_fold(bare)}
    _, sep, tail = bare.partition(" - ")
    if sep:
        keys.add(_fold(tail))
    keys.discard("")
    return frozenset(keys)


class RecentTracks:
    """What autoplay must not repeat: identifiers, links and title forms of recent plays."""

    def __init__(self, tracks: Iterable[Playable] = ()) -> None:
        self._ids: set[str] = set()
        self._uris: set[str] = set()
        self._titles: set[str] = set()
        for track in tracks:
            self.add(track)

    def add(self, track: Playable) -> None:
        """Remember one more played (or just picked) track."""
        if track.identifier:
            self._ids.add(track.identifier)
        if track.uri:
            self._uris.add(track.uri)
        self._titles |= title_keys(track.title)

    def __contains__(self, track: Playable) -> bool:
        if track.identifier and track.identifier in self._ids:
            return True
        if track.uri and track.uri in self._uris:
            return True
        return not self._titles.isdisjoint(title_keys(track.title))


def radio_url(seed: Playable) -> str | None:
    """YouTube's endless "radio" mix of a YouTube track, loadable as a playlist."""
    identifier = seed.identifier or ""
    on_youtube = "youtube.com/" in (seed.uri or "") or "youtu.be/" in (seed.uri or "")
    if not (on_youtube and _YOUTUBE_ID.match(identifier)):
        return None
    return f"https://www.youtube.com/watch?v={identifier}&list=RD{identifier}"


def genre_tags(texts: Iterable[str]) -> list[str]:
    """Genre words found in `texts`, most frequent first (ties: most specific first)."""
    counts: Counter[str] = Counter()
    for text in texts:
        found: set[str] = set()
        remaining = text
        for genre, pattern in _GENRE_PATTERNS:
            if pattern.search(remaining):
                found.add(_SAME_GENRE.get(genre, genre))
                remaining = pattern.sub(" ", remaining)  # "deep house" is not also "house"
        counts.update(found)
    order = {genre: i for i, genre in enumerate(GENRES)}
    return sorted(counts, key=lambda g: (-counts[g], order[g]))


@dataclass(frozen=True)
class Lookup:
    """One load for autoplay, a link or search text, on behalf of `mode`."""

    mode: AutoplayMode
    query: str


def lookups(mode: AutoplayMode, seed: Playable, history: Sequence[Playable]) -> list[Lookup]:
    """What to load, best first, to find a track for one (non-mixed) mode.

    `history` is the guild's recent plays, newest first (the seed among them).
    """
    artist = artist_name(seed.author)
    title = clean_title(seed.title, seed.author)
    queries: list[str] = []
    if mode is AutoplayMode.SIMILAR:
        queries = [q for q in (radio_url(seed), f"{artist} {title}".strip()) if q]
    elif mode is AutoplayMode.ARTIST:
        queries = [artist, f"{artist} songs"] if artist else []
    elif mode is AutoplayMode.GENRE:
        queries = _genre_queries(seed, history)
    return [Lookup(mode, q) for q in dict.fromkeys(queries)]


def _genre_queries(seed: Playable, history: Sequence[Playable]) -> list[str]:
    tags = genre_tags([f"{seed.title} {seed.author}"]) or genre_tags(
        f"{t.title} {t.author}" for t in history
    )
    if tags:
        return [f"{tag} music" for tag in tags[:2]]
    # No genre words anywhere: what else the guild listened to lately.
    artists = Counter(artist_name(t.author) for t in history if t.author)
    seed_artist = artist_name(seed.author)
    ranked = sorted(artists, key=lambda a: (a == seed_artist, -artists[a]))
    return [a for a in ranked if a][:3]


def mode_order(mode: AutoplayMode, rng: random.Random) -> list[AutoplayMode]:
    """The modes to try for one fill: the mode itself, or for `mixed` all three in a
    weighted random order (the first one chosen with probability equal to its weight)."""
    if mode is AutoplayMode.OFF:
        return []
    if mode is not AutoplayMode.MIXED:
        return [mode]
    remaining = dict(MIX_WEIGHTS)
    order: list[AutoplayMode] = []
    while remaining:
        chosen = rng.choices(list(remaining), weights=list(remaining.values()))[0]
        order.append(chosen)
        del remaining[chosen]
    return order


def pick(
    lookup: Lookup,
    candidates: Sequence[C],
    *,
    seed: Candidate,
    recent: RecentTracks,
    max_length_ms: int | None = None,
) -> C | None:
    """The first candidate that is fresh, short enough and (for `artist`) by the artist."""
    longest = max(MAX_SONG_MS, seed.length_ms)
    if max_length_ms is not None:
        longest = min(longest, max_length_ms)
    artist = _fold(artist_name(seed.author))
    for track in candidates:
        if track.is_stream or track.length_ms > longest or track in recent:
            continue
        if lookup.mode is AutoplayMode.ARTIST and not _by_artist(track, artist):
            continue
        return track
    return None


def _by_artist(track: Playable, artist: str) -> bool:
    if not artist:
        return False
    if _fold(artist_name(track.author)) == artist:
        return True
    # A label's or aggregator's upload names the artist first: "Daft Punk - Aerodynamic".
    head, sep, _ = track.title.partition(" - ")
    return bool(sep) and _fold(head) == artist
