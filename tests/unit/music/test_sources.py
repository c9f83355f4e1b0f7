"""Sources: which ones a node can search, why not, and asking each node session once."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import mafic
import pytest

from bot.music.sources import (
    SOURCES,
    NodeCapabilities,
    SourceDirectory,
    SourceUnavailable,
    UnknownSource,
    source_named,
)

PLAIN = {
    "sourceManagers": ["youtube", "soundcloud", "bandcamp", "http"],
    "plugins": [{"name": "youtube-plugin", "version": "1.8.0"}],
}
WITH_LAVASRC = {
    "sourceManagers": [*PLAIN["sourceManagers"], "spotify", "applemusic", "deezer"],
    "plugins": [*PLAIN["plugins"], {"name": "lavasrc-plugin", "version": "4.2.0"}],
}


@dataclass
class Node:
    label: str = "main"
    session_id: str | None = "s1"


def names(capabilities: NodeCapabilities) -> list[str]:
    return [s.name for s in capabilities.available()]


def test_prefixes_of_every_source() -> None:
    """Each source maps to its Lavalink search prefix."""
    assert {n: s.prefix for n, s in SOURCES.items()} == {
        "youtube": "ytsearch",
        "youtubemusic": "ytmsearch",
        "soundcloud": "scsearch",
        "spotify": "spsearch",
        "applemusic": "amsearch",
        "deezer": "dzsearch",
    }


def test_unknown_source_name_is_refused() -> None:
    """A name that is no source lists the ones there are."""
    assert source_named(" Spotify ").name == "spotify"
    with pytest.raises(UnknownSource, match="youtube, youtubemusic"):
        source_named("napster")


def test_node_without_lavasrc_searches_youtube_and_soundcloud() -> None:
    """Without LavaSrc only the built-in and YouTube-plugin sources are there."""
    assert names(NodeCapabilities.from_info(PLAIN)) == ["youtube", "youtubemusic", "soundcloud"]


def test_node_with_lavasrc_searches_everything() -> None:
    """LavaSrc adds Spotify, Apple Music and Deezer."""
    assert names(NodeCapabilities.from_info(WITH_LAVASRC)) == list(SOURCES)


@pytest.mark.parametrize(
    ("info", "source", "message"),
    [
        (PLAIN, "spotify", "That node can't search Spotify: the LavaSrc plugin isn't installed."),
        (
            {**WITH_LAVASRC, "sourceManagers": ["youtube", "spotify"]},
            "deezer",
            "That node can't search Deezer: the LavaSrc plugin is installed but its Deezer "
            "source is off.",
        ),
        (
            {"sourceManagers": ["soundcloud"], "plugins": []},
            "youtube",
            "That node can't search YouTube: the YouTube plugin isn't installed.",
        ),
        (
            {"sourceManagers": ["youtube"], "plugins": []},
            "soundcloud",
            "That node can't search SoundCloud: its SoundCloud source is turned off.",
        ),
    ],
)
def test_refusal_names_what_is_missing(info: dict[str, Any], source: str, message: str) -> None:
    """The refusal says which plugin or source is missing."""
    assert NodeCapabilities.from_info(info).why_not(SOURCES[source]).english == message


async def test_directory_asks_once_per_session() -> None:
    """Concurrent and later questions about one node session make one /v4/info request."""
    asked: list[str] = []

    async def fetch(node: Any) -> dict[str, Any]:
        asked.append(node.session_id)
        await asyncio.sleep(0)
        return PLAIN

    directory = SourceDirectory(fetch=fetch)
    node = Node()
    await asyncio.gather(*(directory.capabilities(node) for _ in range(5)))  # type: ignore[arg-type]
    await directory.capabilities(node)  # type: ignore[arg-type]
    assert asked == ["s1"]
    node.session_id = "s2"  # the node reconnected: maybe restarted with other plugins
    await directory.capabilities(node)  # type: ignore[arg-type]
    assert asked == ["s1", "s2"]


async def test_directory_refuses_a_missing_source() -> None:
    """`require` raises the user-facing refusal."""

    async def fetch(node: Any) -> dict[str, Any]:
        return PLAIN

    directory = SourceDirectory(fetch=fetch)
    with pytest.raises(SourceUnavailable, match="LavaSrc plugin isn't installed"):
        await directory.require(Node(), SOURCES["spotify"])  # type: ignore[arg-type]


async def test_node_that_cannot_say_lets_everything_through_and_is_asked_again() -> None:
    """If /v4/info fails, no source is refused (Lavalink decides), and it is retried later."""
    now = [0.0]
    calls = 0

    async def fetch(node: Any) -> dict[str, Any]:
        nonlocal calls
        calls += 1
        raise mafic.HTTPException(status=500, message="boom")

    directory = SourceDirectory(fetch=fetch, retry_after=30, clock=lambda: now[0])
    capabilities = await directory.capabilities(Node())  # type: ignore[arg-type]
    assert names(capabilities) == list(SOURCES)
    await directory.capabilities(Node())  # type: ignore[arg-type]
    now[0] += 31
    await directory.capabilities(Node())  # type: ignore[arg-type]
    assert calls == 2
