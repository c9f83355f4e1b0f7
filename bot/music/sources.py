"""Search sources, their Lavalink prefixes, and which of them a node can search.

A node tells what it can do in `GET /v4/info`: `sourceManagers` lists the
sources that are enabled (the YouTube plugin registers `youtube`, LavaSrc
registers `spotify`, `applemusic` and `deezer` for each source enabled in its
config) and `plugins` lists what is installed, which only serves to say *why*
a source is missing. The answer is cached per node session, so a node that
reconnects (a new session: restarted, maybe with other plugins) is asked again.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

import aiohttp
import mafic
from loguru import logger

from bot.errors import UserError
from bot.i18n import Text, t
from bot.lavalink_rest import node_request
from bot.nodes import pool_nodes

__all__ = [
    "NODE_SOURCES",
    "SOURCES",
    "NodeCapabilities",
    "Source",
    "SourceDirectory",
    "SourceUnavailable",
    "UnknownSource",
    "fetch_node_info",
    "source_named",
]


@dataclass(frozen=True)
class Source:
    """A place to search: its option value, display name, Lavalink prefix and provider."""

    name: str
    label: str
    prefix: str
    manager: str
    plugin: str | None
    """The plugin that provides the source manager (None: built into Lavalink)."""


SOURCES: dict[str, Source] = {
    s.name: s
    for s in (
        Source("youtube", "YouTube", "ytsearch", "youtube", "youtube-plugin"),
        Source("youtubemusic", "YouTube Music", "ytmsearch", "youtube", "youtube-plugin"),
        Source("soundcloud", "SoundCloud", "scsearch", "soundcloud", None),
        Source("spotify", "Spotify", "spsearch", "spotify", "lavasrc-plugin"),
        Source("applemusic", "Apple Music", "amsearch", "applemusic", "lavasrc-plugin"),
        Source("deezer", "Deezer", "dzsearch", "deezer", "lavasrc-plugin"),
    )
}
_PLUGIN_NAMES = {"youtube-plugin": "YouTube", "lavasrc-plugin": "LavaSrc"}


class UnknownSource(UserError):
    """The user named a source the bot does not know."""

    def __init__(self, name: str) -> None:
        super().__init__("search.unknown_source", name=name[:40], known=", ".join(SOURCES))


class SourceUnavailable(UserError):
    """The node cannot search this source."""


def source_named(name: str) -> Source:
    """The source called `name` (case-insensitive); raises UnknownSource."""
    source = SOURCES.get(name.strip().lower())
    if source is None:
        raise UnknownSource(name)
    return source


@dataclass(frozen=True)
class NodeCapabilities:
    """What one node reported in `/v4/info`; `known=False` when it could not be asked."""

    source_managers: frozenset[str]
    plugins: frozenset[str]
    known: bool = True
    filters: frozenset[str] = frozenset()
    """The enabled filters (`filters` in `/v4/info`; empty when the node does not say)."""

    @classmethod
    def from_info(cls, info: dict[str, Any]) -> NodeCapabilities:
        """Read a `/v4/info` body."""
        managers = frozenset(str(m).lower() for m in info.get("sourceManagers") or ())
        plugins = frozenset(
            str(p.get("name", "")).lower() for p in info.get("plugins") or () if p.get("name")
        )
        filters = frozenset(str(f) for f in info.get("filters") or ())
        return cls(managers, plugins, filters=filters)

    @classmethod
    def unknown(cls) -> NodeCapabilities:
        """The node did not answer: let every source through and let Lavalink decide."""
        return cls(frozenset(), frozenset(), known=False)

    def supports(self, source: Source) -> bool:
        """Whether searching `source` can work on this node."""
        return not self.known or source.manager in self.source_managers

    def has_plugin(self, fragment: str) -> bool | None:
        """Whether a plugin whose name contains `fragment` is installed (None: unknown)."""
        if not self.known:
            return None
        return any(fragment in p for p in self.plugins)

    def available(self) -> list[Source]:
        """The sources this node can search, in display order."""
        return [s for s in SOURCES.values() if self.supports(s)]

    def why_not(self, source: Source) -> Text:
        """The refusal for a source the node lacks, naming what is missing."""
        if source.plugin is None:
            return t("search.source_off", source=source.label)
        plugin = _PLUGIN_NAMES.get(source.plugin, source.plugin)
        if not any(source.plugin.removesuffix("-plugin") in p for p in self.plugins):
            return t("search.plugin_missing", source=source.label, plugin=plugin)
        return t("search.plugin_source_off", source=source.label, plugin=plugin)


InfoFetcher = Callable[[mafic.Node[Any]], Awaitable[dict[str, Any]]]


async def fetch_node_info(node: mafic.Node[Any]) -> dict[str, Any]:
    """`GET /v4/info` through the node's own REST session and password.

    mafic 2.11 has no public call for this route (its `fetch_plugins` asks a
    route outside `/v4`); see `bot.lavalink_rest`.
    """
    info: dict[str, Any] = await node_request(node, "GET", "info")
    return info


@dataclass
class _Entry:
    capabilities: NodeCapabilities
    expires: float


class SourceDirectory:
    """Caches each node's capabilities per session; asks a node at most once at a time."""

    def __init__(
        self,
        *,
        fetch: InfoFetcher = fetch_node_info,
        ttl: float = 600.0,
        retry_after: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._fetch = fetch
        self.ttl = ttl
        self.retry_after = retry_after
        self._clock = clock
        self._entries: dict[tuple[str, str | None], _Entry] = {}
        self._pending: dict[tuple[str, str | None], asyncio.Future[NodeCapabilities]] = {}

    async def capabilities(self, node: mafic.Node[Any]) -> NodeCapabilities:
        """What `node` can search (fetched once per session and `ttl`)."""
        key = (node.label, node.session_id)
        entry = self._entries.get(key)
        if entry is not None and entry.expires > self._clock():
            return entry.capabilities
        pending = self._pending.get(key)
        if pending is None:
            pending = asyncio.ensure_future(self._refresh(key, node))
            self._pending[key] = pending
            pending.add_done_callback(lambda _: self._pending.pop(key, None))
        return await asyncio.shield(pending)

    async def _refresh(
        self, key: tuple[str, str | None], node: mafic.Node[Any]
    ) -> NodeCapabilities:
        try:
            capabilities = NodeCapabilities.from_info(await self._fetch(node))
            ttl = self.ttl
        except (mafic.HTTPException, aiohttp.ClientError, TimeoutError, ValueError) as exc:
            logger.warning("could not read /v4/info of node {}: {}", node.label, exc)
            capabilities, ttl = NodeCapabilities.unknown(), self.retry_after
        # Entries of the node's older sessions are stale now.
        for old in [k for k in self._entries if k[0] == key[0]]:
            del self._entries[old]
        self._entries[key] = _Entry(capabilities, self._clock() + ttl)
        return capabilities

    def cached(self, node: mafic.Node[Any]) -> NodeCapabilities | None:
        """What is known of `node` without asking it."""
        entry = self._entries.get((node.label, node.session_id))
        return entry.capabilities if entry is not None else None

    async def require(self, node: mafic.Node[Any], source: Source) -> None:
        """Raise SourceUnavailable if `node` cannot search `source`."""
        capabilities = await self.capabilities(node)
        if not capabilities.supports(source):
            raise SourceUnavailable(capabilities.why_not(source))

    async def searchable(self) -> list[Source]:
        """The sources the least-loaded connected node can search (none without a node)."""
        nodes = pool_nodes()
        if not nodes:
            return []
        capabilities = await self.capabilities(min(nodes, key=lambda n: n.weight))
        return capabilities.available()

    def forget(self, labels: Iterable[str] | None = None) -> None:
        """Drop cached capabilities (of the given nodes, or of all)."""
        wanted = set(labels) if labels is not None else None
        for key in [k for k in self._entries if wanted is None or k[0] in wanted]:
            del self._entries[key]


NODE_SOURCES = SourceDirectory()
"""The process's directory: the loader checks with it and the gateway's choices read it."""
