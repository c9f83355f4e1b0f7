"""A guild's allowed sources (`allowed_sources`): what it may search, link and queue.

Names are the bot's search sources (`youtube`, `youtubemusic`, `soundcloud`,
`spotify`, `applemusic`, `deezer`) or any other Lavalink source name
(`bandcamp`, `twitch`, `http` ...). A track is allowed when its Lavalink
`sourceName` is allowed, or is the source manager of an allowed search source
(YouTube Music finds `youtube` tracks). A track without a source name cannot
be shown to be allowed, so it is not. A link to a known site is checked by its
host before anything is loaded; other links are checked by what they load.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TypeVar
from urllib.parse import urlsplit

from bot.errors import UserError
from bot.i18n import Text, t
from bot.music.query import parse_query
from bot.music.sources import SOURCES, Source, source_named
from bot.music.track import QueuedTrack

__all__ = ["LINK_HOSTS", "SourceNotAllowed", "SourcePolicy", "link_source", "source_label"]

LINK_HOSTS: dict[str, str] = {
    "youtube.com": "youtube",
    "youtu.be": "youtube",
    "youtube-nocookie.com": "youtube",
    "soundcloud.com": "soundcloud",
    "snd.sc": "soundcloud",
    "spotify.com": "spotify",
    "spotify.link": "spotify",
    "music.apple.com": "applemusic",
    "deezer.com": "deezer",
    "deezer.page.link": "deezer",
    "bandcamp.com": "bandcamp",
    "twitch.tv": "twitch",
    "vimeo.com": "vimeo",
}
"""Hosts (and their subdomains) whose links Lavalink loads with the named source."""

_OTHER_LABELS = {"bandcamp": "Bandcamp", "twitch": "Twitch", "vimeo": "Vimeo", "http": "web links"}

T = TypeVar("T", bound=QueuedTrack)


def source_label(name: str) -> str:
    """How a source is named to people: `SoundCloud`, `Bandcamp`."""
    known = SOURCES.get(name)
    return known.label if known is not None else _OTHER_LABELS.get(name, name)


def link_source(url: str) -> str | None:
    """The Lavalink source a link to a known site loads with (None: another site)."""
    host = (urlsplit(url).hostname or "").rstrip(".").lower()
    while host:
        if host in LINK_HOSTS:
            return LINK_HOSTS[host]
        _, _, host = host.partition(".")
    return None


class SourceNotAllowed(UserError):
    """The guild does not allow this source; the message lists the ones it does."""

    def __init__(self, name: str, allowed: Sequence[str]) -> None:
        shown: str | Text = ", ".join(source_label(a) for a in allowed) or t("search.no_sources")
        super().__init__("search.source_not_allowed", source=source_label(name), allowed=shown)


@dataclass(frozen=True)
class SourcePolicy:
    """The guild's allow-list; `None` allows every source."""

    allowed: tuple[str, ...] | None

    def allows_track_source(self, name: str) -> bool:
        """Whether a track whose Lavalink `sourceName` is `name` may be queued."""
        if self.allowed is None:
            return True
        if not name:
            return False
        return name in self.allowed or any(
            SOURCES[a].manager == name for a in self.allowed if a in SOURCES
        )

    def allows_search(self, source: Source) -> bool:
        """Whether the guild may search `source`."""
        return self.allowed is None or source.name in self.allowed

    def check_search(self, source: Source) -> None:
        """Refuse a search of `source` the guild does not allow."""
        if not self.allows_search(source):
            raise SourceNotAllowed(source.name, self.allowed or ())

    def check_link(self, url: str) -> None:
        """Refuse a link to a known site whose source the guild does not allow."""
        name = link_source(url)
        if name is not None and not self.allows_track_source(name):
            raise SourceNotAllowed(name, self.allowed or ())

    def check_query(self, query: str, source: str | None, default_source: str) -> None:
        """Refuse, before anything is loaded, a link or search of a source not allowed
        (`source` is the user's choice, ignored for links, as the loader does)."""
        if self.allowed is None:
            return
        parsed = parse_query(query)
        if parsed.url is not None:
            self.check_link(parsed.url)
        elif source:
            self.check_search(source_named(source))
        else:
            self.check_search(SOURCES.get(default_source, SOURCES["youtube"]))

    def keep_allowed(self, tracks: Iterable[T]) -> tuple[list[T], int]:
        """The allowed tracks, in order, and how many were left out.

        Raises `SourceNotAllowed` (naming the first one's source) when none is allowed.
        """
        tracks = list(tracks)
        kept = [t for t in tracks if self.allows_track_source(t.source)]
        if tracks and not kept:
            raise SourceNotAllowed(tracks[0].source or "unknown sources", self.allowed or ())
        return kept, len(tracks) - len(kept)
