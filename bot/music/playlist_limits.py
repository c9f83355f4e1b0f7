"""Saved playlists' rules: how many a user may keep, how long they and their names may be.

Names are matched without regard to case ("Gym" finds "gym"), so a user never
ends up with two playlists that look the same in a list.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from bot.errors import UserError

__all__ = [
    "PlaylistExists",
    "PlaylistFull",
    "PlaylistLimits",
    "PlaylistNotFound",
    "TooManyPlaylists",
    "check_name",
    "find_name",
]


@dataclass(frozen=True)
class PlaylistLimits:
    """Per-user limits of saved playlists."""

    playlists_per_user: int = 25
    tracks_per_playlist: int = 500
    name_length: int = 50


class PlaylistNotFound(UserError):
    """The user has no playlist by that name."""

    def __init__(self, name: str) -> None:
        super().__init__("playlist.not_found", name=name)


class PlaylistExists(UserError):
    """`save` would replace a playlist the user did not ask to replace."""

    def __init__(self, name: str) -> None:
        super().__init__("playlist.exists", name=name)


class TooManyPlaylists(UserError):
    """The user is at the playlist limit."""

    def __init__(self, limit: int) -> None:
        super().__init__("playlist.too_many", limit=limit)


class PlaylistFull(UserError):
    """The playlist is at its track limit."""

    def __init__(self, name: str, limit: int) -> None:
        super().__init__("playlist.full", name=name, limit=limit)


def check_name(name: str, limits: PlaylistLimits) -> str:
    """The name as stored (spaces collapsed); raises UserError for an empty, long or odd name."""
    cleaned = " ".join(name.split())
    if not cleaned:
        raise UserError("playlist.name_missing")
    if len(cleaned) > limits.name_length:
        raise UserError("playlist.name_too_long", limit=limits.name_length)
    if any(unicodedata.category(c).startswith("C") for c in cleaned):
        raise UserError("playlist.name_invisible")
    return cleaned


def find_name(name: str, existing: Iterable[str]) -> str | None:
    """The stored name matching `name` regardless of case, if any."""
    folded = " ".join(name.split()).casefold()
    return next((n for n in existing if n.casefold() == folded), None)
