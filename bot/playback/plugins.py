"""The Lavalink plugin routes the bot calls for a guild's player: SponsorBlock and LavaLyrics.

SponsorBlock-Plugin (topi314/Sponsorblock-Plugin, README "API"):
`PUT|DELETE /v4/sessions/{sessionId}/players/{guildId}/sponsorblock/categories`
with a JSON list of categories, 204 on success, 404 "Session not found". The
plugin keeps the categories per session and guild and forgets them when the
player is destroyed, so they are sent again for every new player (join,
rebuild on another node or session). It reads them when a track starts.

LavaLyrics (topi314/LavaLyrics, README "Get current playing track lyrics"):
`GET /v4/sessions/{sessionId}/players/{guildId}/track/lyrics`: 200 with a
Lyrics object, 204 when none were found, 404 without a player or track.
LavaSrc provides lyrics *sources* for LavaLyrics; the routes are LavaLyrics'.

Whether a node has a plugin is read from `/v4/info` (`NodeCapabilities`).
"""

from __future__ import annotations

from typing import Any

import mafic

from bot.errors import ServiceUnavailable
from bot.lavalink_rest import node_request
from bot.music.lyrics import Lyrics

__all__ = [
    "LYRICS_PLUGIN",
    "SEGMENT_NAMES",
    "SPONSORBLOCK_CATEGORIES",
    "SPONSORBLOCK_PLUGIN",
    "clear_sponsorblock",
    "fetch_lyrics",
    "put_sponsorblock",
]

SPONSORBLOCK_PLUGIN = "sponsorblock"
LYRICS_PLUGIN = "lavalyrics"

SPONSORBLOCK_CATEGORIES: dict[str, str] = {
    "sponsor": "sponsorblock.category.sponsor",
    "selfpromo": "sponsorblock.category.selfpromo",
    "interaction": "sponsorblock.category.interaction",
    "intro": "sponsorblock.category.intro",
    "outro": "sponsorblock.category.outro",
    "music_offtopic": "sponsorblock.category.music_offtopic",
}
"""The SponsorBlock categories a guild can skip (the plugin's names), with their labels' keys."""
SEGMENT_NAMES: dict[str, str] = {
    "sponsor": "sponsorblock.segment.sponsor",
    "selfpromo": "sponsorblock.segment.selfpromo",
    "interaction": "sponsorblock.segment.interaction",
    "intro": "sponsorblock.segment.intro",
    "outro": "sponsorblock.segment.outro",
    "music_offtopic": "sponsorblock.segment.music_offtopic",
}
"""How a sentence names each category's segments ("will skip: sponsors, intros")."""


def _player_path(player: mafic.Player[Any], route: str) -> tuple[mafic.Node[Any], str]:
    node = player.node
    if node.session_id is None:
        raise ServiceUnavailable("service.node_reconnecting")
    return node, f"sessions/{node.session_id}/players/{player.guild.id}/{route}"


async def put_sponsorblock(player: mafic.Player[Any], categories: frozenset[str]) -> None:
    """Tell the SponsorBlock plugin which categories to skip for the player's guild."""
    node, path = _player_path(player, "sponsorblock/categories")
    await node_request(node, "PUT", path, json=sorted(categories))


async def clear_sponsorblock(player: mafic.Player[Any]) -> None:
    """Tell the SponsorBlock plugin to skip nothing for the player's guild."""
    node, path = _player_path(player, "sponsorblock/categories")
    await node_request(node, "DELETE", path)


async def fetch_lyrics(player: mafic.Player[Any]) -> Lyrics | None:
    """The lyrics of the player's current track (None: the plugin found none)."""
    node, path = _player_path(player, "track/lyrics")
    data = await node_request(node, "GET", path)
    return Lyrics.from_lavalyrics(data) if isinstance(data, dict) else None
