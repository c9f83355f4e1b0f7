"""What was played in each guild: "recently played", autoplay seeds, retention."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete, select

from bot.db.database import Database
from bot.db.models import PlayHistory
from bot.db.storable import storable
from bot.db.timestamps import utcnow

__all__ = ["HistoryStore", "PlayedTrack"]


@dataclass(frozen=True, slots=True)
class PlayedTrack:
    """One play of a track in a guild."""

    guild_id: int
    encoded: str
    title: str
    author: str
    uri: str | None = None
    identifier: str | None = None
    source: str | None = None
    requester_id: int | None = None
    played_at: datetime = field(default_factory=utcnow)
    length_ms: int | None = None
    is_autoplay: bool = False


_COLUMNS = tuple(PlayedTrack.__dataclass_fields__)


class HistoryStore:
    """Appends to and reads the ``play_history`` table."""

    def __init__(self, database: Database) -> None:
        self._db = database

    async def add(self, track: PlayedTrack) -> None:
        """Record that ``track`` was played (later, in order, if the database is unreachable)."""
        await self._db.deferred.write("history", lambda: self._insert(track))

    async def _insert(self, track: PlayedTrack) -> None:
        async with self._db.transaction() as session:
            session.add(PlayHistory(**{name: storable(getattr(track, name)) for name in _COLUMNS}))

    async def recent(self, guild_id: int, limit: int = 20) -> list[PlayedTrack]:
        """Return the guild's last ``limit`` plays, newest first."""
        async with self._db.session() as session:
            rows = await session.scalars(
                select(PlayHistory)
                .where(PlayHistory.guild_id == guild_id)
                .order_by(PlayHistory.played_at.desc(), PlayHistory.id.desc())
                .limit(limit)
            )
            return [PlayedTrack(**{name: getattr(row, name) for name in _COLUMNS}) for row in rows]

    async def prune(self, older_than_days: float) -> int:
        """Delete plays older than ``older_than_days`` in every guild; return how many."""
        cutoff = utcnow() - timedelta(days=older_than_days)
        async with self._db.transaction() as session:
            result = await session.execute(
                delete(PlayHistory).where(PlayHistory.played_at < cutoff)
            )
        return int(result.rowcount)  # type: ignore[attr-defined]
