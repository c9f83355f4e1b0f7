"""The audit log: who changed what, for moderators and for debugging by correlation id."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select

from bot.db.database import Database
from bot.db.models import AuditLog
from bot.db.storable import storable
from bot.db.timestamps import utcnow

__all__ = ["AuditEntry", "AuditStore"]


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One audited action; ``id`` is None until stored."""

    action: str
    guild_id: int | None = None
    user_id: int | None = None
    detail: dict[str, Any] = field(default_factory=dict)
    correlation_id: str | None = None
    created_at: datetime = field(default_factory=utcnow)
    id: int | None = None


class AuditStore:
    """Appends to and lists the ``audit_log`` table."""

    def __init__(self, database: Database) -> None:
        self._db = database

    async def add(
        self,
        action: str,
        *,
        guild_id: int | None = None,
        user_id: int | None = None,
        detail: dict[str, Any] | None = None,
        correlation_id: str | None = None,
    ) -> AuditEntry:
        """Record an action and return it with its id.

        While the database is unreachable the entry is kept and written later, in
        order; it is returned then without an id.
        """
        entry = AuditEntry(
            action=action,
            guild_id=guild_id,
            user_id=user_id,
            detail=detail or {},
            correlation_id=correlation_id,
            created_at=utcnow(),
        )
        stored: list[AuditEntry] = []

        async def insert() -> None:
            row = AuditLog(**{name: storable(getattr(entry, name)) for name in _FIELDS})
            async with self._db.transaction() as session:
                session.add(row)
            stored.append(_entry(row))

        await self._db.deferred.write("audit", insert)
        return stored[0] if stored else entry

    async def recent(
        self,
        guild_id: int | None = None,
        *,
        action: str | None = None,
        correlation_id: str | None = None,
        before: datetime | None = None,
        limit: int = 50,
    ) -> list[AuditEntry]:
        """Return matching entries, newest first; ``guild_id=None`` means every guild."""
        query = select(AuditLog).order_by(AuditLog.created_at.desc(), AuditLog.id.desc())
        if guild_id is not None:
            query = query.where(AuditLog.guild_id == guild_id)
        if action is not None:
            query = query.where(AuditLog.action == action)
        if correlation_id is not None:
            query = query.where(AuditLog.correlation_id == correlation_id)
        if before is not None:
            query = query.where(AuditLog.created_at < before)
        async with self._db.session() as session:
            return [_entry(row) for row in await session.scalars(query.limit(limit))]

    async def prune(self, older_than_days: float) -> int:
        """Delete entries older than ``older_than_days``; return how many."""
        cutoff = utcnow() - timedelta(days=older_than_days)
        async with self._db.transaction() as session:
            result = await session.execute(delete(AuditLog).where(AuditLog.created_at < cutoff))
        return int(result.rowcount)  # type: ignore[attr-defined]


_FIELDS = ("action", "guild_id", "user_id", "detail", "correlation_id", "created_at")


def _entry(row: AuditLog) -> AuditEntry:
    return AuditEntry(
        id=row.id,
        action=row.action,
        guild_id=row.guild_id,
        user_id=row.user_id,
        detail=dict(row.detail),
        correlation_id=row.correlation_id,
        created_at=row.created_at,
    )
