"""The /stats commands on the audio side: a guild's listening stats and the per-user opt-out.

A member who opted out is left out of every figure (their requests are not
counted as plays, listening time or requests); their plays stay in the
history that /history and autoplay read.
"""

from __future__ import annotations

from datetime import timedelta

from bot import audio_commands as ac
from bot.db.play_stats import PlayStatsStore
from bot.db.timestamps import utcnow
from bot.errors import ServiceUnavailable
from bot.i18n import t

TOP = 5


class StatsCommands:
    """Serves `ShowStats` and `SetStatsOptOut` with a `PlayStatsStore`."""

    def __init__(self, store: PlayStatsStore | None) -> None:
        self._store = store

    def _store_or_refuse(self) -> PlayStatsStore:
        if self._store is None:
            raise ServiceUnavailable("stats.no_database")
        return self._store

    async def show(self, command: ac.ShowStats) -> ac.StatsReport:
        """The guild's top tracks, top requesters and listening time."""
        store = self._store_or_refuse()
        since = utcnow() - timedelta(days=command.days) if command.days else None
        hidden = await store.opted_out_requesters(command.guild_id)
        stats = await store.guild_stats(
            command.guild_id, since=since, hidden_users=hidden, limit=TOP
        )
        return ac.StatsReport(
            plays=stats.plays,
            listened_ms=stats.listened_ms,
            top_tracks=tuple(
                ac.PlayCount(t.title, t.author, t.uri, t.plays) for t in stats.top_tracks
            ),
            top_requesters=tuple((r.user_id, r.plays) for r in stats.top_requesters),
            days=command.days,
        )

    async def set_opt_out(self, command: ac.SetStatsOptOut) -> ac.Done:
        """Leave the user's plays out of /stats, or count them again."""
        await self._store_or_refuse().set_opted_out(command.user_id, command.opted_out)
        if command.opted_out:
            return ac.Done(t("stats.opted_out"))
        return ac.Done(t("stats.opted_in"))
