"""The JSON shapes of the REST API (ids as strings: JavaScript numbers cannot hold them)."""

from __future__ import annotations

from typing import Any

from bot import audio_commands as ac
from bot.api.board import BoardEntry
from bot.api.port import GuildRef
from bot.music.state import NowPlayingState
from bot.music.track import QueuedTrack


def snowflake(value: int | None) -> str | None:
    """A Discord id as a string."""
    return str(value) if value is not None else None


def track_json(track: QueuedTrack) -> dict[str, Any]:
    """A track as the API shows it (Lavalink's `encoded` blob stays inside)."""
    return {
        "title": track.title,
        "author": track.author,
        "uri": track.uri,
        "length_ms": track.length_ms,
        "identifier": track.identifier,
        "source": track.source,
        "artwork_url": track.artwork_url,
        "is_stream": track.is_stream,
        "requester_id": snowflake(track.requester_id),
    }


def player_json(guild: GuildRef, state: NowPlayingState | None, position_ms: int) -> dict[str, Any]:
    """A guild's player: what plays, where, how."""
    track = state.track if state is not None else None
    return {
        "guild_id": str(guild.id),
        "guild_name": guild.name,
        "voice_channel_id": snowflake(guild.voice_channel_id),
        "track": track_json(track) if track is not None else None,
        "playing": state is not None and track is not None and not state.paused,
        "paused": state.paused if state is not None else False,
        "position_ms": position_ms if track is not None else 0,
        "volume": state.volume if state is not None else 100,
        "loop": state.loop.value if state is not None else "off",
        "queue_length": state.queue_length if state is not None else 0,
    }


def board_player_json(guild: GuildRef, entry: BoardEntry, now: float) -> dict[str, Any]:
    """A guild's player from the board, its position extrapolated to `now`."""
    return player_json(guild, entry.state, entry.position_ms(now))


def queue_json(page: ac.QueuePage) -> dict[str, Any]:
    """One page of upcoming tracks with their 1-based positions."""
    return {
        "page": page.page,
        "pages": page.pages,
        "total_ms": page.total_ms,
        "items": [{"position": pos, "track": track_json(t)} for pos, t in page.items],
    }


def play_json(result: ac.PlayResult) -> dict[str, Any]:
    """What a play request queued."""
    if result.started and result.tracks:
        message = f"Playing {result.tracks[0].title}."
    elif result.playlist:
        message = f"Queued {len(result.tracks)} tracks from {result.playlist}."
    elif result.tracks:
        message = f"Queued {result.tracks[0].title} at position {result.position}."
    else:
        message = "Nothing was queued."
    return {
        "message": message,
        "started": result.started,
        "position": result.position,
        "playlist": result.playlist,
        "dropped": result.dropped,
        "tracks": [track_json(t) for t in result.tracks],
    }
