"""Loading tracks from Lavalink: links directly, words through a source's search prefix.

`TrackLoader.load` checks the query (only public http/https links), picks the
search source (the one asked for, else the guild's default) and refuses one the
node cannot search, answers from the search cache (one request per query in
flight), and ranks search results so the first is the best candidate.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import aiohttp
import mafic
from loguru import logger

from bot.errors import ServiceUnavailable, UserError
from bot.music.query import ParsedQuery, normalise_search, parse_query
from bot.music.ranking import rank_candidates
from bot.music.ranking_rules import RankingRules
from bot.music.search_cache import SearchCache
from bot.music.sources import NODE_SOURCES, SOURCES, Source, SourceDirectory, source_named
from bot.music.track import QueuedTrack
from bot.nodes import pool_nodes
from bot.settings import Settings

__all__ = [
    "LoadFailed",
    "LoadResult",
    "NothingFound",
    "TrackLoader",
    "track_from_mafic",
    "track_to_mafic",
]

Loaded = list[mafic.Track] | mafic.Playlist
CacheKey = tuple[str, str]
_DEFAULT_SETTINGS = Settings()


class NothingFound(UserError):
    """The search or URL gave no tracks."""

    def __init__(self, query: str) -> None:
        super().__init__("search.nothing_found", query=query[:80])


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


@lru_cache(maxsize=8)
def _rules(
    blocked_terms: tuple[str, ...],
    blocked_channels: tuple[str, ...],
    preferred_channels: tuple[str, ...],
) -> RankingRules:
    return RankingRules().extended(
        blocked_terms=blocked_terms,
        blocked_channels=blocked_channels,
        preferred_channels=preferred_channels,
    )


class TrackLoader:
    """Turns a user's query into tracks through a Lavalink node."""

    def __init__(
        self,
        *,
        settings: Callable[[], Settings] | None = None,
        sources: SourceDirectory = NODE_SOURCES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        # Without `settings`, the bot's live settings are read from the node's client.
        self._settings = settings
        self.sources = sources
        defaults = (settings or (lambda: _DEFAULT_SETTINGS))().cache
        self.cache: SearchCache[CacheKey, Loaded] = SearchCache(
            ttl=defaults.search_ttl, maxsize=defaults.max_searches, timer=clock
        )

    async def load(
        self,
        query: str,
        *,
        source: str | None = None,
        requester_id: int,
        default_source: str = "youtube",
        cached_only: bool = False,
    ) -> LoadResult:
        """Load `query`; raises NothingFound, LoadFailed, SourceUnavailable or ServiceUnavailable.

        `source` is the one the user chose (refused if the node lacks it); without
        it `default_source` is used, falling back to YouTube when the node lacks
        that. `cached_only` answers from the cache or with no tracks, never asking
        Lavalink (for autocomplete keystrokes).
        """
        parsed = parse_query(query)
        node = self._node()
        settings = self._current_settings(node)
        self.cache.configure(ttl=settings.cache.search_ttl, maxsize=settings.cache.max_searches)
        if parsed.url is not None:
            key: CacheKey = ("url", parsed.url)
            search: Source | None = None
        else:
            search = await self._search_source(node, source, default_source)
            key = (search.name, normalise_search(parsed.text))
        if cached_only:
            result = self.cache.peek(key)
            if result is None:
                return LoadResult([], is_search=search is not None)
        else:
            result = await self.cache.get(key, lambda: self._fetch(node, parsed, search))
        return self._result(parsed, result, requester_id, settings)

    def _result(
        self, parsed: ParsedQuery, result: Loaded, requester_id: int, settings: Settings
    ) -> LoadResult:
        if isinstance(result, mafic.Playlist):
            if not result.tracks:
                raise NothingFound(parsed.text)
            tracks = [track_from_mafic(t, requester_id) for t in result.tracks]
            return LoadResult(tracks, playlist=result.name)
        if not result:
            raise NothingFound(parsed.text)
        if not parsed.is_url and settings.search.quality_filter:
            result = rank_candidates(parsed.text, result, self._ranking_rules(settings))
        tracks = [track_from_mafic(t, requester_id) for t in result]
        return LoadResult(tracks, is_search=not parsed.is_url)

    async def _search_source(
        self, node: mafic.Node[Any], chosen: str | None, default: str
    ) -> Source:
        if chosen:
            source = source_named(chosen)
            await self.sources.require(node, source)
            return source
        source = SOURCES.get(default, SOURCES["youtube"])
        capabilities = await self.sources.capabilities(node)
        if not capabilities.supports(source):
            fallback = next(iter(capabilities.available()), source)
            logger.info(
                "node {} can't search {} (a guild default); using {}",
                node.label,
                source.name,
                fallback.name,
            )
            source = fallback
        return source

    async def _fetch(
        self, node: mafic.Node[Any], parsed: ParsedQuery, search: Source | None
    ) -> Loaded:
        identifier = parsed.url or parsed.text
        prefix = search.prefix if search is not None else "ytsearch"
        try:
            result = await node.fetch_tracks(identifier, search_type=prefix)
        except mafic.TrackLoadException as exc:
            logger.info("load failed for {!r}: {} ({})", identifier, exc.message, exc.severity)
            if str(exc.severity).lower() == "common":
                raise LoadFailed("search.load_failed_because", reason=exc.message) from None
            raise LoadFailed("search.load_failed") from None
        except mafic.HTTPException as exc:
            logger.warning("Lavalink answered {} to a load: {}", exc.status, exc.message)
            raise ServiceUnavailable("service.node_problem") from None
        except (aiohttp.ClientError, TimeoutError) as exc:
            logger.warning("Lavalink did not answer a load: {!r}", exc)
            raise ServiceUnavailable("service.node_silent") from None
        return result if result is not None else []

    def _current_settings(self, node: mafic.Node[Any]) -> Settings:
        if self._settings is not None:
            return self._settings()
        settings = getattr(node.client, "settings", None)
        return settings if isinstance(settings, Settings) else _DEFAULT_SETTINGS

    @staticmethod
    def _ranking_rules(settings: Settings) -> RankingRules:
        search = settings.search
        return _rules(
            tuple(search.extra_blocked_terms),
            tuple(search.extra_blocked_channels),
            tuple(search.extra_preferred_channels),
        )

    @staticmethod
    def _node() -> mafic.Node[Any]:
        nodes = pool_nodes()
        if not nodes:
            raise ServiceUnavailable("service.no_node_yet")
        return min(nodes, key=lambda n: n.weight)
