"""A guild's listening statistics from ``play_history``, and the users who opted out of them."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select

from bot.db.database import Database
from bot.db.models import PlayHistory, UserProfile
from bot.db.profiles import UserProfileStore

__all__ = ["STATS_OPT_OUT", "GuildStats", "PlayStatsStore", "RequesterCount", "TrackCount"]

STATS_OPT_OUT = "stats_opt_out"
"""The user-preference key: true when the user's plays are left out of /stats."""

_CHUNK = 500  # ids per IN (...) list, well under every driver's parameter limit


@dataclass(frozen=True, slots=True)
class TrackCount:
    """A track and how often the guild played it."""

    title: str
    author: str
    uri: str | None
    plays: int


@dataclass(frozen=True, slots=True)
class RequesterCount:
    """A member and how many of the guild's plays they requested."""

    user_id: int
    plays: int


@dataclass(frozen=True, slots=True)
class GuildStats:
    """What a guild played: totals and the most played tracks and most active requesters."""

    plays: int
    listened_ms: int
    top_tracks: tuple[TrackCount, ...]
    top_requesters: tuple[RequesterCount, ...]


class PlayStatsStore:
    """Aggregates a guild's plays; reads and sets users' stats opt-out."""

    def __init__(self, database: Database) -> None:
        self._db = database
        self._profiles = UserProfileStore(database)

    async def guild_stats(
        self,
        guild_id: int,
        *,
        since: datetime | None = None,
        hidden_users: Collection[int] = (),
        limit: int = 5,
    ) -> GuildStats:
        """The guild's stats since ``since`` (all history when None) without the plays
        requested by ``hidden_users``. Autoplay picks count as plays, not as requests."""
        where = _plays_of(guild_id, since, hidden_users)
        totals = select(func.count(PlayHistory.id), func.sum(PlayHistory.length_ms)).where(where)
        plays = func.count(PlayHistory.id).label("plays")
        top_tracks = (
            select(PlayHistory.title, PlayHistory.author, func.max(PlayHistory.uri), plays)
            .where(where)
            .group_by(PlayHistory.title, PlayHistory.author)
            .order_by(plays.desc(), func.max(PlayHistory.played_at).desc())
            .limit(limit)
        )
        top_requesters = (
            select(PlayHistory.requester_id, plays)
            .where(where, PlayHistory.requester_id.is_not(None), PlayHistory.is_autoplay.is_(False))
            .group_by(PlayHistory.requester_id)
            .order_by(plays.desc(), PlayHistory.requester_id)
            .limit(limit)
        )
        async with self._db.session() as session:
            count, listened = (await session.execute(totals)).one()
            tracks = (await session.execute(top_tracks)).all()
            requesters = (await session.execute(top_requesters)).all()
        return GuildStats(
            plays=int(count or 0),
            listened_ms=int(listened or 0),
            top_tracks=tuple(TrackCount(t, a, u, int(n)) for t, a, u, n in tracks),
            top_requesters=tuple(RequesterCount(int(r), int(n)) for r, n in requesters),
        )

    async def opted_out_requesters(self, guild_id: int) -> frozenset[int]:
        """The guild's requesters who opted out of /stats."""
        query = (
            select(PlayHistory.requester_id)
            .where(PlayHistory.guild_id == guild_id, PlayHistory.requester_id.is_not(None))
            .distinct()
        )
        async with self._db.session() as session:
            requesters = [int(r) for r in await session.scalars(query) if r is not None]
            opted_out: set[int] = set()
            for start in range(0, len(requesters), _CHUNK):
                chunk = requesters[start : start + _CHUNK]
                rows = await session.execute(
                    select(UserProfile.user_id, UserProfile.preferences).where(
                        UserProfile.user_id.in_(chunk)
                    )
                )
                opted_out.update(user for user, prefs in rows if _opted_out(prefs))
        return frozenset(opted_out)

    async def set_opted_out(self, user_id: int, opted_out: bool) -> None:
        """Leave the user's plays out of /stats (or count them again)."""
        await self._profiles.update_preferences(user_id, **{STATS_OPT_OUT: opted_out or None})


def _opted_out(preferences: dict[str, Any] | None) -> bool:
    return bool((preferences or {}).get(STATS_OPT_OUT))


def _plays_of(
    guild_id: int, since: datetime | None, hidden_users: Collection[int]
) -> ColumnElement[bool]:
    clauses: list[ColumnElement[bool]] = [PlayHistory.guild_id == guild_id]
    if since is not None:
        clauses.append(PlayHistory.played_at >= since)
    if hidden_users:
        clauses.append(
            or_(
                PlayHistory.requester_id.is_(None),
                PlayHistory.requester_id.not_in(sorted(hidden_users)),
            )
        )
    return and_(*clauses)
