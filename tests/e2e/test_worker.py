"""The worker: an audit entry per state-changing command; retention trims old rows."""

from __future__ import annotations

from datetime import timedelta

from bot.db import AuditStore, HistoryStore, PlayedTrack
from bot.db.timestamps import utcnow
from tests.e2e.harness import Harness
from tests.e2e.test_controls import start_playing


async def test_commands_are_audited_with_correlation_id(h: Harness) -> None:
    """/volume is recorded with who, where, what and the command's correlation id."""
    await start_playing(h, 1)
    await h.reply("volume", level=120)
    await h.reply("queue")
    await h.bot.bus.drain()
    assert h.bot.db is not None
    entries = await AuditStore(h.bot.db).recent(h.world.guild.id)
    actions = [e.action for e in entries]
    assert "set_volume" in actions and "play" in actions
    assert "show_queue" not in actions
    volume = next(e for e in entries if e.action == "set_volume")
    assert volume.user_id == h.world.alice.id
    assert volume.detail == {"origin": "slash", "level": 120}
    assert volume.correlation_id


async def test_retention_trims_old_history_and_audit(h: Harness) -> None:
    """The retention job deletes rows older than the configured ages and keeps the rest."""
    assert h.bot.db is not None
    history = HistoryStore(h.bot.db)
    old = utcnow() - timedelta(days=400)
    await history.add(PlayedTrack(guild_id=1, encoded="e", title="old", author="a", played_at=old))
    await history.add(PlayedTrack(guild_id=1, encoded="e", title="new", author="a"))
    worker = h.bot.get_cog("worker")
    await worker.trim()
    assert [p.title for p in await history.recent(1)] == ["new"]
