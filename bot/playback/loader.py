"""Loading tracks from Lavalink: URLs directly, text through a source's search prefix."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import mafic
from loguru import logger

from bot.errors import ServiceUnavailable, UserError
from bot.music.track import QueuedTrack

SEARCH_PREFIXES = {
    "youtube": "ytsearch",
    "youtubemusic": "ytmsearch",
    "soundcloud": "scsearch",
    "spotify": "spsearch",
    "applemusic": "amsearch",
    "deezer": "dzsearch",
}
_URL = re.compile(r"^https?://", re.IGNORECASE)
MAX_QUERY_LENGTH = 500


class NothingFound(UserError):
    """The search or URL gave no tracks."""

    def __init__(self, query: str) -> None:
        super().__init__(f"Nothing found for `{query[:80]}`.")


class LoadFailed(UserError):
    """Lavalink could not load the URL or search."""


@dataclass(frozen=True)
class LoadResult:
    """Tracks from one query; `playlist` names the playlist when the query was one."""

    tracks: list[QueuedTrack]
    playlist: str | None = None
    is_search: bool = False


def track_from_mafic(track: mafic.Track, requester_id: int) -> QueuedTrack:
    """Our record of a track mafic returned."""
    return QueuedTrack(
        encoded=track.id,
        title=track.title or "Unknown title",
        author=track.author or "Unknown artist",
        length_ms=track.length,
        uri=track.uri,
        requester_id=requester_id,
        identifier=track.identifier,
        source=track.source,
        artwork_url=track.artwork_url,
        is_stream=track.stream,
        is_seekable=track.seekable,
    )


def track_to_mafic(track: QueuedTrack) -> mafic.Track:
    """A mafic Track for our record, so the player sends `encodedTrack`."""
    info: Any = {
        "identifier": track.identifier,
        "isSeekable": track.is_seekable,
        "author": track.author,
        "length": track.length_ms,
        "isStream": track.is_stream,
        "position": 0,
        "title": track.title,
        "uri": track.uri,
        "artworkUrl": track.artwork_url,
        "isrc": None,
        "sourceName": track.source,
    }
    return mafic.Track.from_data(track=track.encoded, info=info)


def is_url(query: str) -> bool:
    """Whether the query is a link (loaded directly) rather than search text."""
    return bool(_URL.match(query))


class TrackLoader:
    """Turns a user's query into tracks through a Lavalink node."""

    async def load(self, query: str, *, source: str, requester_id: int) -> LoadResult:
        """Load `query`; raises NothingFound, LoadFailed or ServiceUnavailable."""
        query = query.strip()
        if not query:
            raise UserError("Tell me what to play: a link or some words to search for.")
        if len(query) > MAX_QUERY_LENGTH:
            raise UserError(f"That query is too long (over {MAX_QUERY_LENGTH} characters).")
        node = self._node()
        prefix = SEARCH_PREFIXES.get(source, "ytsearch")
        try:
            result = await node.fetch_tracks(query, search_type=prefix)
        except mafic.TrackLoadException as exc:
            logger.info("load failed for {!r}: {} ({})", query, exc.message, exc.severity)
            if str(exc.severity).lower() == "common":
                raise LoadFailed(f"I couldn't load that: {exc.message}") from None
            raise LoadFailed("I couldn't load that track. Try another link or search.") from None
        except mafic.HTTPException as exc:
            logger.warning("Lavalink answered {} to a load: {}", exc.status, exc.message)
            raise ServiceUnavailable("The music server had a problem. Try again.") from None
        if isinstance(result, mafic.Playlist):
            tracks = [track_from_mafic(t, requester_id) for t in result.tracks]
            if not tracks:
                raise NothingFound(query)
            return LoadResult(tracks, playlist=result.name)
        if not result:
            raise NothingFound(query)
        tracks = [track_from_mafic(t, requester_id) for t in result]
        return LoadResult(tracks, is_search=not is_url(query))

    @staticmethod
    def _node() -> mafic.Node[Any]:
        nodes = mafic.NodePool.nodes
        if not nodes:
            raise ServiceUnavailable(
                "No music server is connected right now. Try again in a moment."
            )
        return min(nodes, key=lambda n: n.weight)
