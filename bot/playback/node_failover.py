"""Moving a guild's player to a healthy Lavalink node without leaving voice.

A Lavalink player needs the voice state Discord gave the bot: the session id
of its VOICE_STATE_UPDATE and the token and endpoint of its
VOICE_SERVER_UPDATE. When a node loses its players (a restart, a dropped
session) the bot is still in the voice channel as far as Discord knows, so
sending the voice state it kept to a healthy node, in the player PATCH, is
enough to be heard again. No gateway op 4 is sent: Discord allows about 120
gateway sends a minute per shard, so leaving and rejoining hundreds of guilds
took minutes. Lavalink clients move players between nodes the same way
(mafic's `Player.transfer_to`).

mafic 2.11 keeps the voice state in private attributes of its `Player`
(`_session_id`, `_server_state`, `_node`, `_connected`) and has no public way to
put a player on another node; this module is the only place that touches them
(mafic is pinned to 2.11.x in pyproject.toml).
"""

from __future__ import annotations

from typing import Any

import mafic

from bot.lavalink_rest import node_request
from bot.nodes import is_listening, nodes_by_label

__all__ = ["detach", "healthy_node", "move_player", "voice_state"]


def voice_state(player: mafic.Player[Any]) -> dict[str, str] | None:
    """The player's Lavalink `voice` object from what Discord sent, or None if incomplete."""
    session_id = getattr(player, "_session_id", None)
    server = getattr(player, "_server_state", None) or {}
    token, endpoint = server.get("token"), server.get("endpoint")
    channel = player.channel
    if not (session_id and token and endpoint) or channel is None:
        return None
    return {
        "token": str(token),
        "endpoint": str(endpoint),
        "sessionId": str(session_id),
        "channelId": str(channel.id),  # Lavalink 4.2+ reads it; older versions ignore it
    }


def healthy_node() -> mafic.Node[Any] | None:
    """The least loaded node that is up and listening (mafic's weight, then players)."""
    nodes = [n for n in nodes_by_label().values() if n.available and is_listening(n)]
    return min(nodes, key=lambda n: (n.weight, len(n.players))) if nodes else None


def detach(player: mafic.Player[Any]) -> None:
    """Forget the player on its lost node.

    When mafic reconnects a node it compares the node's player list with the
    new session's and "disconnects" the players the session lacks, which
    leaves voice: a detached player is left alone, to be moved instead.
    """
    node = getattr(player, "_node", None)
    if node is not None:
        node.remove_player(player.guild.id)


async def move_player(
    player: mafic.Player[Any], node: mafic.Node[Any], voice: dict[str, str]
) -> None:
    """Create the player on `node` from the kept voice state; raises mafic's HTTP errors."""
    guild_id = player.guild.id
    old = getattr(player, "_node", None)
    if old is not None and old is not node:
        old.remove_player(guild_id)
    # Registered first, so the node's events for the guild reach this player.
    player._node = node
    node.add_player(guild_id, player)
    await update_with_voice(player, voice, {})
    player._connected = True  # as transfer_to


async def update_with_voice(
    player: mafic.Player[Any], voice: dict[str, str], fields: dict[str, Any]
) -> None:
    """PATCH the player on its node with `voice` and the Lavalink player `fields`.

    mafic's own `update` cannot send `voice`; the answer updates mafic's view of
    the track and pause state as `update` would.
    """
    node = player.node
    data = await node_request(
        node,
        "PATCH",
        f"sessions/{node.session_id}/players/{player.guild.id}",
        json={"voice": voice, **fields},
        params={"noReplace": "False"},
    )
    if isinstance(data, dict):
        track = data.get("track")
        player._current = mafic.Track.from_data_with_info(track) if track else None
        player._paused = bool(data.get("paused"))
