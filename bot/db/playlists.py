"""Users' saved playlists: named, ordered lists of tracks kept across guilds."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import selectinload

from bot.db.database import Database
from bot.db.models import SavedPlaylist, SavedPlaylistItem
from bot.db.profiles import ensure_profile
from bot.db.queue_store import StoredTrack
from bot.db.timestamps import utcnow

__all__ = ["PlaylistStore", "PlaylistSummary", "SavedPlaylistValue"]


@dataclass(frozen=True, slots=True)
class PlaylistSummary:
    """A playlist's name and size, for listings and autocomplete."""

    name: str
    track_count: int
    created_at: datetime


@dataclass(slots=True)
class SavedPlaylistValue:
    """A saved playlist with its tracks in order."""

    user_id: int
    name: str
    tracks: list[StoredTrack] = field(default_factory=list)
    created_at: datetime = field(default_factory=utcnow)


class PlaylistStore:
    """Saves, loads, lists and deletes a user's playlists."""

    def __init__(self, database: Database) -> None:
        self._db = database

    async def save(self, user_id: int, name: str, tracks: Sequence[StoredTrack]) -> None:
        """Create the playlist, or replace its tracks if the user already has one so named."""
        async with self._db.transaction() as session:
            await ensure_profile(session, self._db.kind, user_id)
            playlist = await session.scalar(
                select(SavedPlaylist).where(
                    SavedPlaylist.user_id == user_id, SavedPlaylist.name == name
                )
            )
            if playlist is None:
                playlist = SavedPlaylist(user_id=user_id, name=name, created_at=utcnow())
                session.add(playlist)
                await session.flush()
            else:
                await session.execute(
                    delete(SavedPlaylistItem).where(SavedPlaylistItem.playlist_id == playlist.id)
                )
            if tracks:
                await session.execute(
                    insert(SavedPlaylistItem),
                    [
                        {
                            "playlist_id": playlist.id,
                            "position": position,
                            "encoded": track.encoded,
                            "title": track.title,
                            "author": track.author,
                            "length_ms": track.length_ms,
                            "uri": track.uri,
                            "source": track.source,
                        }
                        for position, track in enumerate(tracks)
                    ],
                )

    async def load(self, user_id: int, name: str) -> SavedPlaylistValue | None:
        """Return the playlist with its tracks (requested by its owner), or None."""
        async with self._db.session() as session:
            playlist = await session.scalar(
                select(SavedPlaylist)
                .where(SavedPlaylist.user_id == user_id, SavedPlaylist.name == name)
                .options(selectinload(SavedPlaylist.items))
            )
            if playlist is None:
                return None
            tracks = [
                StoredTrack(
                    encoded=item.encoded,
                    title=item.title,
                    author=item.author,
                    length_ms=item.length_ms,
                    requester_id=user_id,
                    uri=item.uri,
                    source=item.source,
                )
                for item in playlist.items
            ]
            return SavedPlaylistValue(user_id, playlist.name, tracks, playlist.created_at)

    async def summaries(self, user_id: int) -> list[PlaylistSummary]:
        """Return the user's playlists by name."""
        query = (
            select(SavedPlaylist.name, func.count(SavedPlaylistItem.id), SavedPlaylist.created_at)
            .outerjoin(SavedPlaylistItem)
            .where(SavedPlaylist.user_id == user_id)
            .group_by(SavedPlaylist.id, SavedPlaylist.name, SavedPlaylist.created_at)
            .order_by(SavedPlaylist.name)
        )
        async with self._db.session() as session:
            rows = (await session.execute(query)).all()
        return [PlaylistSummary(name, count, created_at) for name, count, created_at in rows]

    async def delete(self, user_id: int, name: str) -> bool:
        """Delete the playlist and its tracks; return whether it existed."""
        async with self._db.transaction() as session:
            result = await session.execute(
                delete(SavedPlaylist).where(
                    SavedPlaylist.user_id == user_id, SavedPlaylist.name == name
                )
            )
        return bool(result.rowcount)  # type: ignore[attr-defined]
